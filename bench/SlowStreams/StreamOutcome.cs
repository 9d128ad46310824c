using System.Diagnostics;

namespace CotProxy.Bench.SlowStreams;

/// <summary>One stream of a round: whether it was whole, and when it started, got its headers and ended (ms on the round's clock).</summary>
internal sealed record StreamOutcome(bool Ok, double StartedMs, double HeadersMs, double EndedMs, string? Error)
{
    public static StreamOutcome Failed(double startedMs, Stopwatch clock, string error)
    {
        var now = clock.Elapsed.TotalMilliseconds;
        return new StreamOutcome(false, startedMs, now, now, error);
    }
}
