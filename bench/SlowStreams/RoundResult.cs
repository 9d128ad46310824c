using System.Globalization;

namespace CotProxy.Bench.SlowStreams;

/// <summary>What one round of concurrent streams measured: wall time until the last stream ended, failures, and percentiles.</summary>
internal sealed record RoundResult(int Streams, int Ok, int Failed, double WallMs, double StreamP50Ms, double StreamP99Ms, double HeadersP50Ms, double HeadersP99Ms, string? FirstError)
{
    public static RoundResult From(StreamOutcome[] outcomes, double wallMs)
    {
        var durations = outcomes.Select(o => o.EndedMs - o.StartedMs).Order().ToArray();
        var headers = outcomes.Select(o => o.HeadersMs - o.StartedMs).Order().ToArray();
        var ok = outcomes.Count(o => o.Ok);
        var firstError = outcomes.FirstOrDefault(o => !o.Ok)?.Error;
        return new RoundResult(outcomes.Length, ok, outcomes.Length - ok, wallMs,
            Percentile(durations, 0.50), Percentile(durations, 0.99), Percentile(headers, 0.50), Percentile(headers, 0.99), firstError);
    }

    /// <summary>One line of key=value pairs that bench/run reads with awk.</summary>
    public string Format(string target, int round) => string.Create(CultureInfo.InvariantCulture,
        $"result target={target} round={round} streams={Streams} ok={Ok} failed={Failed} wall_ms={WallMs:0.0} stream_p50_ms={StreamP50Ms:0.0} stream_p99_ms={StreamP99Ms:0.0} headers_p50_ms={HeadersP50Ms:0.0} headers_p99_ms={HeadersP99Ms:0.0}");

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
