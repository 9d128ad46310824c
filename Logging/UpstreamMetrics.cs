using System.Collections.Concurrent;

namespace CotProxy.Logging;

/// <summary>The numbers of one upstream: time to its response head, time to the end of its body, its failures by kind.</summary>
internal sealed class UpstreamMetrics
{
    private readonly ConcurrentDictionary<string, MetricsCounter> _errors = new(StringComparer.Ordinal);

    public UpstreamMetrics(string name)
    {
        Name = name;
    }

    /// <summary>The <c>upstream</c> label.</summary>
    public string Name { get; }

    /// <summary>From sending the request to the upstream's response head.</summary>
    public MetricsHistogram TimeToFirstByte { get; } = new();

    /// <summary>From sending the request to the end of the upstream's response body (or its failure).</summary>
    public MetricsHistogram Duration { get; } = new();

    /// <summary>
    /// Counts one failure. <paramref name="kind"/> is one of the fixed codes of the failure map (UpstreamFailure.Describe),
    /// so the set of cells is bounded; a cell is made the first time its kind happens and reused after.
    /// </summary>
    public void CountError(string kind) => _errors.GetOrAdd(kind, static _ => new MetricsCounter()).Increment();

    public IEnumerable<KeyValuePair<string, MetricsCounter>> Errors => _errors;
}
