using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// The health endpoints. <c>/health</c> asks the target base URL and reports whether it answers (any status below 500
/// counts). For Kubernetes' two probes: <c>/health/live</c> says only that the process serves requests, so a slow or
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

    private readonly Forwarder _forwarder;
    private readonly CachedProbe _ready;
    private volatile bool _draining;

    public HealthEndpoint(Forwarder forwarder)
    {
        _forwarder = forwarder;
        _ready = new CachedProbe(forwarder.ProbeAsync, CachedProbe.DefaultLifetime, TimeProvider.System);
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

    private async Task ProbeAsync(HttpContext context, bool readiness)
    {
        var error = readiness
            ? (_draining ? null : await _ready.GetAsync().WaitAsync(context.Aborted))
            : await _forwarder.ProbeAsync(context.Aborted);
        if (readiness && _draining)
        {
            // Checked again after the probe: a stop signal may have come while it waited for the target.
            await WriteAsync(context, 503, "draining", "The proxy is shutting down: in-flight requests finish, new ones should go elsewhere.");
            return;
        }

        var status = error is null ? (readiness ? "ready" : "healthy") : (readiness ? "not_ready" : "unhealthy");
        await WriteAsync(context, error is null ? 200 : 503, status, error);
    }

    private async Task WriteAsync(HttpContext context, int code, string status, string? error)
    {
        using var buffer = new PooledByteBuffer(256);
        using (var json = JsonOutput.CreateWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", status);
            json.WriteString("target_url", LogRedaction.Url(_forwarder.Options.TargetBaseUrl));
            if (error is not null)
            {
                json.WriteString("error", error);
            }

            json.WriteEndObject();
        }

        await context.Response.WriteCompleteAsync(code, JsonOutput.ContentType, buffer.WrittenMemory, context.Aborted);
    }
}
