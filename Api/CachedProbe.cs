namespace CotProxy.Api;

/// <summary>
/// The readiness answer, shared for a short time: however many probes ask (the kubelet, a load balancer's health check,
/// a monitor), the upstream is asked at most once per <see cref="Lifetime"/>, and probes that arrive while it is being
/// asked wait for that one answer instead of starting their own.
/// </summary>
internal sealed class CachedProbe
{
    /// <summary>How long an answer is reused: below Kubernetes' shortest useful probe period, so each probe sees a fresh one.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(2);

    private readonly Func<CancellationToken, Task<string?>> _probe;
    private readonly TimeProvider _time;
    private readonly long _lifetimeTicks;
    private readonly Lock _lock = new();
    private Task<string?>? _current;
    private long _expiresAt;

    /// <summary><paramref name="probe"/> answers null when the upstream answers, else why not, within its own timeout.</summary>
    public CachedProbe(Func<CancellationToken, Task<string?>> probe, TimeSpan lifetime, TimeProvider time)
    {
        _probe = probe;
        _time = time;
        Lifetime = lifetime;
        _lifetimeTicks = (long)(lifetime.TotalSeconds * time.TimestampFrequency);
    }

    public TimeSpan Lifetime { get; }

    /// <summary>The answer still fresh, the one being fetched, or a new one.</summary>
    public Task<string?> GetAsync()
    {
        lock (_lock)
        {
            if (_current is { } current && (!current.IsCompleted || _time.GetTimestamp() < _expiresAt))
            {
                return current;
            }

            // Not tied to the asking client: others may be waiting for the same answer (the probe has its own timeout).
            _current = RunAsync();
            return _current;
        }
    }

    private async Task<string?> RunAsync()
    {
        try
        {
            return await _probe(CancellationToken.None);
        }
        finally
        {
            lock (_lock)
            {
                _expiresAt = _time.GetTimestamp() + _lifetimeTicks;
            }
        }
    }
}
