namespace CotProxy.Http.Forwarding;

/// <summary>
/// An upstream's max_concurrent: that many requests at once, a bounded number more waiting for a slot, the rest turned
/// away. A slot is held until the response ends.
/// </summary>
#pragma warning disable CA1001 // SemaphoreSlim holds nothing to dispose unless its AvailableWaitHandle is used, and it never is here.
internal sealed class ConcurrencyGate
#pragma warning restore CA1001
{
    /// <summary>Requests that may wait, per slot, unless the upstream names its own queue (max_queued).</summary>
    public const int DefaultQueueFactor = 4;

    private readonly SemaphoreSlim _slots;
    private int _waiting;

    public ConcurrencyGate(int maxConcurrent, int maxQueued)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueued);
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        MaxConcurrent = maxConcurrent;
        MaxQueued = maxQueued;
    }

    public int MaxConcurrent { get; }

    public int MaxQueued { get; }

    /// <summary>Takes a free slot if there is one, without waiting.</summary>
    public bool TryEnter() => _slots.Wait(0, CancellationToken.None);

    /// <summary>
    /// A slot: at once when one is free, else after waiting in the queue at most <paramref name="maxWait"/>. False when
    /// the queue is full or the wait ran out; throws <see cref="OperationCanceledException"/> when the client goes.
    /// </summary>
    public async ValueTask<bool> EnterAsync(TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (_slots.Wait(0, CancellationToken.None))
        {
            return true;
        }

        if (Interlocked.Increment(ref _waiting) > MaxQueued)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }

        try
        {
            // SemaphoreSlim takes at most int.MaxValue ms (24.8 days); a longer timeout is as good as none.
            var wait = maxWait.TotalMilliseconds >= int.MaxValue ? Timeout.InfiniteTimeSpan : maxWait;
            return await _slots.WaitAsync(wait, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Release() => _slots.Release();
}
