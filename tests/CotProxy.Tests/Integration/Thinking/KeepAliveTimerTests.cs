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
}
