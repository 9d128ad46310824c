using System.Diagnostics;

namespace CotProxy.Logging;

/// <summary>
/// A Prometheus histogram of durations: one counter per bucket and a sum, each updated with one interlocked add, so
/// observing allocates nothing and takes no lock. Buckets are counted singly and made cumulative when rendered.
/// </summary>
internal sealed class MetricsHistogram
{
    /// <summary>Upper bounds in seconds: model servers answer in milliseconds to minutes, so the range is wide.</summary>
    public static readonly double[] DefaultBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    private readonly double[] _bounds;
    private readonly long[] _boundTicks;

    // One slot per bound and one for +Inf; each observation lands in exactly one.
    private readonly long[] _counts;
    private long _sumTicks;

    public MetricsHistogram(double[]? bounds = null)
    {
        _bounds = bounds ?? DefaultBounds;
        _boundTicks = [.. _bounds.Select(b => (long)(b * Stopwatch.Frequency))];
        _counts = new long[_bounds.Length + 1];
    }

    public IReadOnlyList<double> Bounds => _bounds;

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public void ObserveSince(long startTimestamp) => Observe(Stopwatch.GetTimestamp() - startTimestamp);

    /// <summary>Records a duration in <see cref="Stopwatch"/> ticks.</summary>
    public void Observe(long ticks)
    {
        ticks = Math.Max(0, ticks);
        var slot = 0;
        var bounds = _boundTicks;
        while (slot < bounds.Length && ticks > bounds[slot])
        {
            slot++;
        }

        Interlocked.Increment(ref _counts[slot]);
        Interlocked.Add(ref _sumTicks, ticks);
    }

    /// <summary>
    /// A consistent-enough snapshot: cumulative bucket counts (the last is +Inf, equal to the count) and the sum in seconds.
    /// Bucket counts are read first and the sum after, so a concurrent observation may show in the sum and not yet in a bucket.
    /// </summary>
    public (long[] Cumulative, double SumSeconds) Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            cumulative[i] = running;
        }

        return (cumulative, Volatile.Read(ref _sumTicks) / (double)Stopwatch.Frequency);
    }
}
