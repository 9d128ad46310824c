using System.Net;
using System.Text;
using CotProxy.Configuration;
using CotProxy.Http.Server;
using CotProxy.Tests.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// Keep-alive comments (THINK_KEEPALIVE_SECONDS) sent while the upstream's events arrive around the moment one falls due:
/// the comment and the events share one response, so the client must still read whole events and comments.
/// </summary>
public sealed class KeepAliveRaceTests
{
    private const string StreamRequest = """{"model":"any","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private static readonly TimeSpan s_keepAlive = TimeSpan.FromMilliseconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task KeepAlive_EventsArriveAroundEachDueTime_ClientReadsWholeEventsInOrder(int seed)
    {
        const int Streams = 6;
        var plans = Enumerable.Range(0, Streams).Select(i => Plan(new Random((seed * 1000) + i))).ToArray();
        var next = -1;
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                var plan = plans[Interlocked.Increment(ref next)];
                context.Response.Headers.Add(new(HeaderNames.ContentType, "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                foreach (var (bytes, gapMs) in plan.Pieces)
                {
                    if (gapMs > 0)
                    {
                        await Task.Delay(gapMs, context.Aborted);
                    }

                    await context.Response.WriteAsync(bytes, context.Aborted);
                }

                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var pair = ProxyPair.Start(upstream, thinkKeepAlive: s_keepAlive);

        var bodies = await Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => pair.PostAsync(StreamRequest)));

        var comments = 0;
        foreach (var response in bodies)
        {
            var body = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(response.Body));
            // Every block the client parses is a whole event or a whole comment, never a comment inside an event.
            foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.True(block == ": thinking" || (block.StartsWith("data: ", StringComparison.Ordinal) && !block.Contains(": thinking", StringComparison.Ordinal)), $"seed {seed}: broken block {block} in: {body}");
                comments += block == ": thinking" ? 1 : 0;
            }

            Assert.DoesNotContain("hidden", body, StringComparison.Ordinal);
            // Every answer event exactly once and in order (the plans differ only in their cuts and gaps).
            Assert.True(plans[0].Answer == RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0], $"seed {seed}: answer events lost, doubled or out of order in: {body}");
        }

        Assert.True(comments > 0, $"seed {seed}: no keep-alive in any stream");
    }

    [Fact]
    public async Task KeepAlive_UpstreamSilentInsideThought_StillEndsAfterApiRequestTimeout()
    {
        // Keep-alives go to the client, but they are no bytes from the upstream: its silence still ends the stream.
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new(HeaderNames.ContentType, "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                await context.Response.WriteAsync(Encoding.UTF8.GetBytes(SseEvents.Content((0, "<think>hidden"))), context.Aborted);
                await Task.Delay(Timeout.Infinite, context.Aborted);
            },
        };
        var server = new TestServer(upstream);
        var settings = new ProxySettings
        {
            TargetBaseUrl = server.BaseUrl,
            ApiRequestTimeout = TimeSpan.FromSeconds(1),
            EnableThinkTagFiltering = true,
        };
        var (profiles, responses) = ProxyHost.LoadProfiles(settings, []);
        await using var proxy = ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0), profiles, responses, thinkKeepAlive: TimeSpan.FromMilliseconds(100));
        await using var _ = server;
        using var client = await RawConnection.OpenAsync(proxy.LocalEndPoint);
        var body = Encoding.UTF8.GetBytes(StreamRequest);
        await client.SendAsync([.. Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body]);

        // Before the fix each keep-alive armed the read's timeout again, so the stream never ended.
        var text = await client.ReadToEndAsync(timeoutMs: 8_000);

        Assert.Contains(": thinking\n\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n0\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAlive_ClientLeavesDuringHiddenThought_UpstreamCallCancelled()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new(HeaderNames.ContentType, "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                await context.Response.WriteAsync(Encoding.UTF8.GetBytes(SseEvents.Content((0, "<think>hidden"))), context.Aborted);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(30), context.Aborted);
                }
                catch (OperationCanceledException)
                {
                    cancelled.SetResult();
                }
            },
        };
        await using var pair = ProxyPair.Start(upstream, thinkKeepAlive: s_keepAlive);
        var client = await RawConnection.OpenAsync(pair.Proxy.LocalEndPoint);
        var body = Encoding.UTF8.GetBytes(StreamRequest);
        await client.SendAsync([.. Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"), .. body]);
        Assert.False(await client.IsClosedByServerAsync(timeoutMs: 500));

        client.Dispose();

        // The proxy's upstream connection closes with the client's, so the upstream's own request is aborted.
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>A thought and its answer, cut into pieces with gaps around the keep-alive interval.</summary>
    private static (List<(byte[] Bytes, int GapMs)> Pieces, string Answer) Plan(Random random)
    {
        var interval = (int)s_keepAlive.TotalMilliseconds;
        var events = new List<string> { SseEvents.Content((0, "<think>hidden")) };
        for (var i = 0; i < 12; i++)
        {
            events.Add(SseEvents.Content((0, " hidden" + i)));
        }

        var answer = new StringBuilder();
        events.Add(SseEvents.Content((0, "</think>A0")));
        answer.Append("A0");
        for (var i = 1; i < 10; i++)
        {
            events.Add(SseEvents.Content((0, " A" + i)));
            answer.Append(" A").Append(i);
        }

        events.Add(SseEvents.Finish());
        events.Add(SseEvents.Done);
        var pieces = new List<(byte[], int)>();
        foreach (var e in events)
        {
            var bytes = Encoding.UTF8.GetBytes(e);
            // Gaps from half to one and a half intervals: each event may come just before, at or just after a keep-alive.
            var gap = random.Next(interval / 2, (interval * 3 / 2) + 1);
            if (random.Next(3) == 0)
            {
                // Cut inside the event, with part of the gap between its halves.
                var cut = random.Next(1, bytes.Length);
                pieces.Add((bytes[..cut], gap / 2));
                pieces.Add((bytes[cut..], gap - (gap / 2)));
            }
            else
            {
                pieces.Add((bytes, gap));
            }
        }

        return (pieces, answer.ToString());
    }
}
