using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// The health endpoints. <c>/health</c> asks every upstream's base URL and reports whether at least one answers (any
/// status below 500 counts), each upstream in its own entry; <c>target_url</c> stays the default upstream's. For Kubernetes' two probes: <c>/health/live</c> says only that the process serves requests, so a slow or
/// dead model server never gets the proxy restarted; <c>/health/ready</c> is <c>/health</c>'s probe, its answer shared
/// for <see cref="CachedProbe.DefaultLifetime"/> so probes do not hammer the upstream, and 503 while the proxy drains, so
/// a Service stops sending it new requests. The configuration is loaded and checked before the listener opens, so a
/// proxy that answers at all has one.
/// </summary>
internal sealed class HealthEndpoint
{
    public const string HealthPath = "/health";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";

    private readonly UpstreamSet _upstreams;
    private readonly CachedProbe _ready;
    private volatile bool _draining;

    public HealthEndpoint(UpstreamSet upstreams)
    {
        _upstreams = upstreams;
        _ready = new CachedProbe(async aborted => Verdict(await ProbeAllAsync(aborted)), CachedProbe.DefaultLifetime, TimeProvider.System);
    }

    /// <summary>The path is one of the health endpoints.</summary>
    public static bool Answers(ReadOnlySpan<char> path) =>
        path.SequenceEqual(HealthPath) || path.SequenceEqual(LivePath) || path.SequenceEqual(ReadyPath);

    /// <summary>Set once shutdown begins: readiness then fails while in-flight requests finish.</summary>
    public void BeginDraining() => _draining = true;

    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.SequenceEqual(LivePath))
        {
            return WriteAsync(context, 200, "alive", error: null);
        }

        return ProbeAsync(context, path.SequenceEqual(ReadyPath));
    }

    /// <summary>Every upstream asked at once: per upstream, null when it answers, else why not.</summary>
    private Task<string?[]> ProbeAllAsync(CancellationToken aborted) =>
        _upstreams.All.Count == 1
            ? OneAsync(_upstreams.All[0], aborted)
            : Task.WhenAll(_upstreams.All.Select(upstream => upstream.ProbeAsync(aborted)));

    private static async Task<string?[]> OneAsync(Forwarder upstream, CancellationToken aborted) => [await upstream.ProbeAsync(aborted)];

    /// <summary>Null when at least one upstream answers; else why not (the one upstream's reason, or each one's).</summary>
    private string? Verdict(string?[] results)
    {
        if (results.Any(r => r is null))
        {
            return null;
        }

        return results.Length == 1
            ? results[0]
            : "No upstream answers: " + string.Join("; ", _upstreams.All.Select((upstream, i) => $"`{upstream.Name}`: {results[i]}"));
    }

    private async Task ProbeAsync(HttpContext context, bool readiness)
    {
        string?[]? results = null;
        var error = readiness
            ? (_draining ? null : await _ready.GetAsync().WaitAsync(context.Aborted))
            : Verdict(results = await ProbeAllAsync(context.Aborted));
        if (readiness && _draining)
        {
            // Checked again after the probe: a stop signal may have come while it waited for the target.
            await WriteAsync(context, 503, "draining", "The proxy is shutting down: in-flight requests finish, new ones should go elsewhere.");
            return;
        }

        var status = error is null ? (readiness ? "ready" : "healthy") : (readiness ? "not_ready" : "unhealthy");
        await WriteAsync(context, error is null ? 200 : 503, status, error, results);
    }

    private async Task WriteAsync(HttpContext context, int code, string status, string? error, string?[]? upstreams = null)
    {
        using var buffer = new PooledByteBuffer(256);
        using (var json = JsonOutput.CreateWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", status);
            json.WriteString("target_url", LogRedaction.Url(_upstreams.Default.Options.TargetBaseUrl));
            if (error is not null)
            {
                json.WriteString("error", error);
            }

            if (upstreams is not null)
            {
                json.WriteStartArray("upstreams");
                for (var i = 0; i < upstreams.Length; i++)
                {
                    var upstream = _upstreams.All[i];
                    json.WriteStartObject();
                    json.WriteString("name", upstream.Name);
                    json.WriteString("url", LogRedaction.Url(upstream.Options.TargetBaseUrl));
                    json.WriteString("status", upstreams[i] is null ? "healthy" : "unhealthy");
                    if (upstreams[i] is { } reason)
                    {
                        json.WriteString("error", reason);
                    }

                    json.WriteEndObject();
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        await context.Response.WriteCompleteAsync(code, JsonOutput.ContentType, buffer.WrittenMemory, context.Aborted);
    }
}
