using CotProxy.Api;

namespace CotProxy.Tests.Api;

public sealed class CachedProbeTests
{
    [Fact]
    public async Task GetAsync_WithinLifetime_UpstreamAskedOnce()
    {
        var clock = new ManualClock();
        var calls = 0;
        var probe = new CachedProbe(_ => Task.FromResult<string?>(Interlocked.Increment(ref calls) == 1 ? null : "down"), TimeSpan.FromSeconds(2), clock);

        var first = await probe.GetAsync();
        clock.Advance(TimeSpan.FromSeconds(1.9));
        var second = await probe.GetAsync();

        Assert.Null(first);
        Assert.Null(second);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task GetAsync_AfterLifetime_AsksAgain()
    {
        var clock = new ManualClock();
        var calls = 0;
        var probe = new CachedProbe(_ => Task.FromResult<string?>(Interlocked.Increment(ref calls) == 1 ? "refused" : null), TimeSpan.FromSeconds(2), clock);

        Assert.Equal("refused", await probe.GetAsync());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await probe.GetAsync());
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task GetAsync_WhileAsking_LaterCallersShareTheOneAnswer()
    {
        var clock = new ManualClock();
        var answer = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var probe = new CachedProbe(_ =>
        {
            Interlocked.Increment(ref calls);
            return answer.Task;
        }, TimeSpan.FromSeconds(2), clock);

        var waiting = Enumerable.Range(0, 5).Select(_ => probe.GetAsync()).ToArray();
        clock.Advance(TimeSpan.FromSeconds(10));
        var late = probe.GetAsync();
        answer.SetResult("timed out");

        Assert.All(await Task.WhenAll([.. waiting, late]), result => Assert.Equal("timed out", result));
        Assert.Equal(1, calls);
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
