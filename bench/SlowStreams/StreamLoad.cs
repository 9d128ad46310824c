using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace CotProxy.Bench.SlowStreams;

/// <summary>
/// Opens many concurrent streaming chat-completion requests at once, reads each SSE response to its end and
/// checks it (status 200, the expected number of events, <c>data: [DONE]</c> last). Each round uses a fresh
/// connection pool, so every round pays the connection set-up a crowd of new clients would.
/// </summary>
internal sealed class StreamLoad
{
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes(
        "{\"model\":\"bench\",\"stream\":true,\"max_tokens\":20,\"messages\":[{\"role\":\"user\",\"content\":\"Say twenty tokens.\"}]}");

    private readonly int _expectedEvents;
    private readonly TimeSpan _timeout;

    // hiddenThought: the upstream's events are all but the last in a think block the proxy hides, so only that last one comes.
    public StreamLoad(int expectedEvents, TimeSpan timeout, bool hiddenThought = false)
    {
        _expectedEvents = hiddenThought ? 1 : expectedEvents;
        _timeout = timeout;
    }

    public async Task<RoundResult> RunAsync(Uri url, int streams)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = new CancellationTokenSource(_timeout);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = new Stopwatch();
        var tasks = new Task<StreamOutcome>[streams];
        for (var i = 0; i < streams; i++)
        {
            tasks[i] = OneAsync(client, url, go.Task, clock, deadline.Token);
        }

        clock.Start();
        go.SetResult();
        var outcomes = await Task.WhenAll(tasks);
        var wall = clock.Elapsed.TotalMilliseconds;
        return RoundResult.From(outcomes, wall);
    }

    private async Task<StreamOutcome> OneAsync(HttpClient client, Uri url, Task go, Stopwatch clock, CancellationToken cancellationToken)
    {
        await go;
        var started = clock.Elapsed.TotalMilliseconds;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(s_body) };
            request.Content.Headers.ContentType = new("application/json");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var headers = clock.Elapsed.TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return StreamOutcome.Failed(started, clock, "status " + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[8192];
            var events = 0;
            var previousNewline = false;
            var atStart = true;
            var comment = false;
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                // An SSE event ends at a blank line (WHATWG HTML §9.2.6); the upstream uses LF only. A block of comment
                // lines alone (a keep-alive, ": thinking") dispatches nothing, so it is not counted.
                for (var i = 0; i < n; i++)
                {
                    if (atStart)
                    {
                        comment = buffer[i] == (byte)':';
                        atStart = false;
                    }

                    var isNewline = buffer[i] == (byte)'\n';
                    if (isNewline && previousNewline)
                    {
                        events += comment ? 0 : 1;
                        atStart = true;
                    }

                    previousNewline = isNewline;
                }
            }

            var total = clock.Elapsed.TotalMilliseconds;
            if (events != _expectedEvents + 1)
            {
                return StreamOutcome.Failed(started, clock, $"{events} events, expected {_expectedEvents + 1}");
            }

            return new StreamOutcome(true, started, headers, total, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return StreamOutcome.Failed(started, clock, ex.GetType().Name + ": " + ex.Message);
        }
    }
}
