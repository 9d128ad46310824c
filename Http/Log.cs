using System.Text;
using System.Threading.Channels;

namespace CotProxy.Http;

/// <summary>
/// Line-oriented log to stdout. Lines are queued and written by one background task, so a request never waits on the
/// console; the writer flushes whenever the queue runs empty, so nothing sits unwritten while the proxy is idle.
/// </summary>
internal static class Log
{
    private static readonly Channel<string> s_lines = Channel.CreateBounded<string>(
        new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private const int BatchDelayMs = 10;

    private static TextWriter? s_sink;
    private static Task? s_pump;

    public static bool DebugEnabled { get; private set; }

    /// <summary>Starts writing to <paramref name="sink"/>; null discards everything (tests).</summary>
    public static void Configure(TextWriter? sink, bool debug)
    {
        DebugEnabled = debug;
        s_sink = sink;
        if (sink is not null && s_pump is null)
        {
            s_pump = Task.Run(PumpAsync);
        }
    }

    public static void Info(string message) => Enqueue("info", message);

    public static void Warn(string message) => Enqueue("warn", message);

    public static void Error(string message) => Enqueue("error", message);

    public static void Debug(string message)
    {
        if (DebugEnabled)
        {
            Enqueue("debug", message);
        }
    }

    public static void Access(string? server, string method, string target, string? model, int status, long bytes, double milliseconds)
    {
        if (s_sink is null)
        {
            return;
        }

        var line = new StringBuilder(128)
            .Append(method).Append(' ').Append(SafeText(target, 200))
            .Append(" model=").Append(model is null ? "-" : SafeText(model, 100))
            .Append(" status=").Append(status)
            .Append(" bytes=").Append(bytes)
            .Append(" ms=").Append(milliseconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))
            .ToString();
        Enqueue(server is null ? "access" : server + " access", line);
    }

    /// <summary>Waits until every queued line is written (shutdown, tests).</summary>
    public static async Task FlushAsync()
    {
        for (var i = 0; i < 100 && s_lines.Reader.Count > 0; i++)
        {
            await Task.Delay(10);
        }

        if (s_sink is { } sink)
        {
            await sink.FlushAsync();
        }
    }

    /// <summary>Client-supplied text in a log line: controls replaced, length capped, so a request cannot forge log lines.</summary>
    public static string SafeText(string text, int maxLength)
    {
        var span = text.AsSpan(0, Math.Min(text.Length, maxLength));
        if (!span.ContainsAnyInRange('\0', '\u001f') && text.Length <= maxLength)
        {
            return text;
        }

        var builder = new StringBuilder(span.Length + 3);
        foreach (var c in span)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return text.Length > maxLength ? builder.Append('…').ToString() : builder.ToString();
    }

    private static void Enqueue(string level, string message)
    {
        if (s_sink is null)
        {
            return;
        }

        s_lines.Writer.TryWrite(string.Concat(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture), " ", level, " ", message));
    }

    private static async Task PumpAsync()
    {
        var reader = s_lines.Reader;
        while (await reader.WaitToReadAsync())
        {
            var sink = s_sink;
            while (reader.TryRead(out var line))
            {
                sink?.WriteLine(line);
            }

            if (sink is not null)
            {
                await sink.FlushAsync();
            }

            // Under load, lines are gathered for a few milliseconds and written together: one wake-up and one write per
            // batch instead of per request. An idle proxy waits above and wakes for nothing.
            await Task.Delay(BatchDelayMs);
        }
    }
}
