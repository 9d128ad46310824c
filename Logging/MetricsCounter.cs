namespace CotProxy.Logging;

/// <summary>One counter cell, made once per label set and then only incremented (Interlocked: no lock, no allocation).</summary>
internal sealed class MetricsCounter
{
    private long _value;

    public long Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Add(long amount) => Interlocked.Add(ref _value, amount);
}
