using System.Text;
using CotProxy.Tests.Integration.Forwarding;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// The keep-alive timer of a filtered stream (THINK_KEEPALIVE_SECONDS) lives only as long as its response: a stream that
/// waited for its upstream must not leave a timer armed for the rest of the interval. Counted process-wide, so alone.
/// </summary>
[Collection(MeasurementCollection.Name)]
public sealed class KeepAliveTimerTests
{
    private const int Streams = 40;

    [Fact]
    public async Task FilteredStreamsThatWaited_LeaveNoKeepAliveTimerBehind()
    {
        var pieces = new List<(byte[], int)>
        {
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, "<think>")) + SseEvents.Content((0, "pondering"))), 0),
            // A pause: the filter's wait for the next bytes blocks, which arms the keep-alive timer.
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, "</think>\n\nAnswer.")) + SseEvents.Finish() + SseEvents.Done), 50),
        };
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", pieces), thinkKeepAlive: TimeSpan.FromMinutes(10));
        const string Request = """{"model":"any","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
        await pair.PostAsync(Request);

        var before = Timer.ActiveCount;
        for (var i = 0; i < Streams; i++)
        {
            var response = await pair.PostAsync(Request);
            Assert.Contains("Answer.", response.Body, StringComparison.Ordinal);
        }

        // Before the fix each response left its 10-minute delay armed: at least one timer per stream.
        Assert.True(Timer.ActiveCount - before < Streams / 2, $"{Timer.ActiveCount - before} timers more after {Streams} filtered streams");
    }

    [Fact]
    public async Task FilteredStreamsWaitingInTheAnswer_ArmNoKeepAliveTimer()
    {
        // Past the thought no keep-alive is ever sent, so a wait there needs no timer (nor the task and WhenAny around it).
        var waiting = await TimersWhileStreamsWaitAsync(SseEvents.Content((0, "<think>hidden</think>\n\nAnswer")), " goes on.");
        Assert.True(waiting < Streams / 2, $"{waiting} timers more while {Streams} filtered streams waited in their answer");
    }

    [Fact]
    public async Task FilteredStreamsWaitingInAThought_ArmNoKeepAliveTimer()
    {
        // Inside a hidden thought the keep-alive falls due on the server's heartbeat, not on a Task.Delay per wait.
        var waiting = await TimersWhileStreamsWaitAsync(SseEvents.Content((0, "<think>hidden")), "</think> goes on.");
        Assert.True(waiting < Streams / 2, $"{waiting} timers more while {Streams} filtered streams waited in a hidden thought");
    }

    /// <summary>
    /// Timers armed while <see cref="Streams"/> filtered streams wait after <paramref name="first"/>, then end with <paramref name="rest"/> (which shows "goes on."). The upstream waits on
    /// a gate and the clients read only afterwards: no timer of the test's own is armed meanwhile.
    /// </summary>
    private static async Task<long> TimersWhileStreamsWaitAsync(string first, string rest)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new("Content-Type", "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                await context.Response.WriteAsync(Encoding.UTF8.GetBytes(first), context.Aborted);
                Interlocked.Increment(ref started);
                await gate.Task.WaitAsync(context.Aborted);
                await context.Response.WriteAsync(Encoding.UTF8.GetBytes(SseEvents.Content((0, rest)) + SseEvents.Finish() + SseEvents.Done), context.Aborted);
                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var pair = ProxyPair.Start(upstream, thinkKeepAlive: TimeSpan.FromMinutes(10));
        var body = Encoding.UTF8.GetBytes("""{"model":"any","stream":true,"messages":[{"role":"user","content":"hi"}]}""");
        var head = Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        var clients = new List<RawConnection>();
        try
        {
            var before = Timer.ActiveCount;
            for (var i = 0; i < Streams; i++)
            {
                var client = await RawConnection.OpenAsync(pair.Proxy.LocalEndPoint);
                clients.Add(client);
                await client.SendAsync([.. head, .. body]);
            }

            while (Volatile.Read(ref started) < Streams)
            {
                await Task.Delay(20);
            }

            await Task.Delay(300);
            var waiting = Timer.ActiveCount - before;
            gate.SetResult();
            foreach (var client in clients)
            {
                Assert.Contains("goes on.", Encoding.UTF8.GetString(Encoding.Latin1.GetBytes((await client.ReadResponseAsync()).Body)), StringComparison.Ordinal);
            }

            return waiting;
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
