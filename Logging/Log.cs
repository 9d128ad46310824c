using System.Buffers;
using System.Text;

namespace CotProxy.Logging;

/// <summary>
/// Line-oriented log to stdout. A request formats its line as UTF-8 and appends it to a buffer; one background task
/// writes whatever gathered every few milliseconds in a single write, so a request never waits on the console and a
/// busy proxy makes one write per batch, not per line. An idle proxy's task sleeps until a line arrives.
/// </summary>
internal static class Log
{
    // Lines gather this long before a write: 100 writes a second at most, and a line is never later than this.
    private const int BatchDelayMs = 10;

    // Lines at most this long are formatted on the stack; longer ones (DEBUG bodies) in a rented array.
    private const int StackLineBytes = 1024;

    // Caps on the client-supplied parts of an access line (characters).
    private const int MaxServerChars = 40;
    private const int MaxMethodChars = 32;
    private const int MaxTargetChars = 200;
    private const int MaxModelChars = 100;

    // The longest access line: every capped part at 3 UTF-8 bytes per character (a surrogate pair is 4 bytes for 2) plus
    // its '…', and the fixed text and numbers (JSON's member names and escapes included: an escaped quote is 2 bytes).
    private const int MaxAccessLineBytes = 320 + (3 * (MaxServerChars + MaxMethodChars + MaxTargetChars + MaxModelChars + MaxRequestIdChars + 5));

    private static readonly LogBuffer s_pending = new();
    private static readonly SemaphoreSlim s_wake = new(0);
    private static readonly object s_writeGate = new();
    private static byte[] s_spare = new byte[16 * 1024];
    private static Stream? s_sink;
    private static Task? s_pump;

    [ThreadStatic]
    private static byte[]? t_accessLine;

    public static bool DebugEnabled { get; private set; }

    /// <summary>LOG_FORMAT=json: one JSON object per line instead of text.</summary>
    public static bool JsonEnabled { get; private set; }

    /// <summary>
    /// Starts writing to <paramref name="sink"/>; null flushes what is pending and discards everything after (tests).
    /// <paramref name="json"/> writes each line as one JSON object (LOG_FORMAT=json).
    /// </summary>
    public static void Configure(Stream? sink, bool debug, bool json = false)
    {
        if (sink is null)
        {
            WritePending();
        }

        DebugEnabled = debug;
        JsonEnabled = json;
        lock (s_writeGate)
        {
            s_sink = sink;
        }

        if (sink is not null && s_pump is null)
        {
            s_pump = Task.Run(PumpAsync);
        }
    }

    // The request id is bounded and of a safe charset (Api/RequestIds), so it is written as it is.
    private const int MaxRequestIdChars = 128;

    /// <param name="message">The line's text.</param>
    /// <param name="requestId">The request the line is about, if any: said as <c>request_id=…</c> (text) or a member (JSON).</param>
    public static void Info(string message, string? requestId = null) => Write("info", message, requestId);

    /// <inheritdoc cref="Info"/>
    public static void Warn(string message, string? requestId = null) => Write("warn", message, requestId);

    /// <inheritdoc cref="Info"/>
    public static void Error(string message, string? requestId = null) => Write("error", message, requestId);

    /// <inheritdoc cref="Info"/>
    public static void Debug(string message, string? requestId = null)
    {
        if (DebugEnabled)
        {
            Write("debug", message, requestId);
        }
    }

    /// <summary>
    /// One access line: <c>{time} [server ]access METHOD target model=… status=… bytes=… ms=…[ request_id=…]</c>, or with
    /// LOG_FORMAT=json <c>{"ts","level":"info","msg":"access","request_id","server","method","target","model","status","bytes","ms"}</c>.
    /// </summary>
    public static void Access(string? server, string method, string target, string? model, int status, long bytes, double milliseconds, string? requestId = null)
    {
        if (s_sink is null)
        {
            return;
        }

        // A buffer per thread rather than on the stack: a stack buffer this size is cleared on every call (locals are
        // zero-initialised), which cost more than formatting most of the line.
        var line = new LogLine(t_accessLine ??= new byte[MaxAccessLineBytes]);
        if (JsonEnabled)
        {
            line.JsonTimestamp(DateTime.UtcNow);
            line.Ascii(",\"level\":\"info\",\"msg\":\"access\""u8);
            if (requestId is not null)
            {
                line.JsonMember("request_id"u8, requestId, MaxRequestIdChars);
            }

            if (server is not null)
            {
                line.JsonMember("server"u8, server, MaxServerChars);
            }

            line.JsonMember("method"u8, method, MaxMethodChars);
            line.JsonMember("target"u8, LogRedaction.Target(target), MaxTargetChars);
            if (model is not null)
            {
                line.JsonMember("model"u8, model, MaxModelChars);
            }

            line.JsonNumber("status"u8, status);
            line.JsonNumber("bytes"u8, bytes);
            line.Ascii(",\"ms\":"u8);
            line.Tenths(milliseconds);
            line.Byte((byte)'}');
            line.End();
            Append(line.Written);
            return;
        }

        line.Timestamp(DateTime.UtcNow);
        if (server is not null)
        {
            line.SafeText(server, MaxServerChars);
            line.Byte((byte)' ');
        }

        line.Ascii("access "u8);
        line.SafeText(method, MaxMethodChars);
        line.Byte((byte)' ');
        line.SafeText(LogRedaction.Target(target), MaxTargetChars);
        line.Ascii(" model="u8);
        if (model is null)
        {
            line.Byte((byte)'-');
        }
        else
        {
            line.SafeText(model, MaxModelChars);
        }

        line.Ascii(" status="u8);
        line.Number(status);
        line.Ascii(" bytes="u8);
        line.Number(bytes);
        line.Ascii(" ms="u8);
        line.Tenths(milliseconds);
        if (requestId is not null)
        {
            line.Ascii(" request_id="u8);
            line.SafeText(requestId, MaxRequestIdChars);
        }

        line.End();
        Append(line.Written);
    }

    /// <summary>Writes every pending line now and flushes the sink, on the calling thread (shutdown, tests).</summary>
    public static void Flush() => WritePending();

    /// <summary>A request target in a log line: secret query values masked (<see cref="LogRedaction.Target"/>), then made safe.</summary>
    public static string Target(string target) => SafeText(LogRedaction.Target(target), MaxTargetChars);

    /// <summary>Client-supplied text in a log line: controls replaced, length capped, so a request cannot forge log lines.</summary>
    public static string SafeText(string text, int maxLength)
    {
        var span = text.AsSpan(0, Math.Min(text.Length, maxLength));
        if (!span.ContainsAnyInRange('\0', '\u001f') && !span.ContainsAnyInRange('\u007f', '\u009f') && text.Length <= maxLength)
        {
            return text;
        }

        var builder = new StringBuilder(span.Length + 1);
        foreach (var c in span)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return text.Length > maxLength ? builder.Append('…').ToString() : builder.ToString();
    }

    private static void Write(string level, string message, string? requestId)
    {
        if (s_sink is null)
        {
            return;
        }

        var textChars = level.Length + message.Length + (requestId?.Length ?? 0);
        var size = JsonEnabled ? LogLine.MaxJsonBytesFor(textChars) : LogLine.MaxBytesFor(textChars);
        byte[]? rented = null;
        var buffer = size <= StackLineBytes ? stackalloc byte[StackLineBytes] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            var line = new LogLine(buffer);
            if (JsonEnabled)
            {
                line.JsonTimestamp(DateTime.UtcNow);
                line.JsonMember("level"u8, level);
                line.JsonMember("msg"u8, message);
                if (requestId is not null)
                {
                    line.JsonMember("request_id"u8, requestId, MaxRequestIdChars);
                }

                line.Byte((byte)'}');
            }
            else
            {
                line.Timestamp(DateTime.UtcNow);
                line.Text(level);
                line.Byte((byte)' ');
                line.Text(message);
                if (requestId is not null)
                {
                    line.Ascii(" request_id="u8);
                    line.SafeText(requestId, MaxRequestIdChars);
                }
            }

            line.End();
            Append(line.Written);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void Append(ReadOnlySpan<byte> line)
    {
        if (s_pending.Append(line))
        {
            s_wake.Release();
        }
    }

    private static async Task PumpAsync()
    {
        while (true)
        {
            await s_wake.WaitAsync();

            // Under load, lines gather for a few milliseconds and leave together: one wake-up and one write per batch.
            await Task.Delay(BatchDelayMs);
            try
            {
                WritePending();
            }
            catch (Exception)
            {
                // A sink that fails in a way WritePending does not expect must not end logging for the rest of the process.
            }
        }
    }

    private static void WritePending()
    {
        lock (s_writeGate)
        {
            var filled = s_pending.Take(s_spare, out var length, out var dropped);
            try
            {
                if (s_sink is { } sink && (length > 0 || dropped > 0))
                {
                    sink.Write(filled, 0, length);
                    if (dropped > 0)
                    {
                        WriteDroppedNotice(sink, dropped);
                    }

                    sink.Flush();
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // stdout is gone (a closed pipe): there is nowhere left to report it, and the proxy keeps serving.
            }
            finally
            {
                s_spare = LogBuffer.Recycle(filled);
            }
        }
    }

    private static void WriteDroppedNotice(Stream sink, long dropped)
    {
        Span<byte> buffer = stackalloc byte[128];
        var line = new LogLine(buffer);
        if (JsonEnabled)
        {
            line.JsonTimestamp(DateTime.UtcNow);
            line.Ascii(",\"level\":\"warn\",\"msg\":\"log output fell behind: "u8);
            line.Number(dropped);
            line.Ascii(" lines dropped\"}"u8);
        }
        else
        {
            line.Timestamp(DateTime.UtcNow);
            line.Ascii("warn log output fell behind: "u8);
            line.Number(dropped);
            line.Ascii(" lines dropped"u8);
        }

        line.End();
        sink.Write(line.Written);
    }
}
