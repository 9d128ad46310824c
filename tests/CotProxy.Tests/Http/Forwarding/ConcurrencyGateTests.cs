using CotProxy.Http.Forwarding;

namespace CotProxy.Tests.Http.Forwarding;

/// <summary>max_concurrent's slots and bounded queue (README, "Several upstreams").</summary>
public sealed class ConcurrencyGateTests
{
    [Fact]
    public async Task EnterAsync_SlotsAndQueueFull_RefusedAtOnceWhileTheQueuedOneGetsTheNextSlot()
    {
        var gate = new ConcurrencyGate(maxConcurrent: 1, maxQueued: 1);
        Assert.True(gate.TryEnter());

        var queued = gate.EnterAsync(TimeSpan.FromDays(30), CancellationToken.None);
        var refused = gate.EnterAsync(TimeSpan.FromDays(30), CancellationToken.None);

        Assert.False(queued.IsCompleted);
        Assert.True(refused.IsCompleted);
        Assert.False(await refused);
        Assert.False(gate.TryEnter());

        gate.Release();
        Assert.True(await queued);
    }

    [Fact]
    public async Task EnterAsync_NoSlotFreeWithinTheWait_False()
    {
        var gate = new ConcurrencyGate(maxConcurrent: 1, maxQueued: 4);
        Assert.True(gate.TryEnter());

        Assert.False(await gate.EnterAsync(TimeSpan.FromMilliseconds(1), CancellationToken.None));

        // The one that gave up left the queue: the next finds room to wait again.
        var waiting = gate.EnterAsync(TimeSpan.FromDays(30), CancellationToken.None);
        gate.Release();
        Assert.True(await waiting);
    }

    [Fact]
    public async Task EnterAsync_ClientGoneWhileQueued_Throws()
    {
        var gate = new ConcurrencyGate(maxConcurrent: 1, maxQueued: 1);
        Assert.True(gate.TryEnter());
        using var aborted = new CancellationTokenSource();

        var queued = gate.EnterAsync(TimeSpan.FromDays(30), aborted.Token);
        await aborted.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await queued);
    }
}
