using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary><c>GET /health</c>: asks the target base URL and reports whether it answers (any status below 500 counts).</summary>
internal sealed class HealthEndpoint
{
    private readonly Forwarder _forwarder;

    public HealthEndpoint(Forwarder forwarder)
    {
        _forwarder = forwarder;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var error = await _forwarder.ProbeAsync(context.Aborted);
        using var buffer = new PooledByteBuffer(256);
        using (var json = JsonOutput.CreateWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", error is null ? "healthy" : "unhealthy");
            json.WriteString("target_url", LogRedaction.Url(_forwarder.Options.TargetBaseUrl));
            if (error is not null)
            {
                json.WriteString("error", error);
            }

            json.WriteEndObject();
        }

        await context.Response.WriteCompleteAsync(error is null ? 200 : 503, JsonOutput.ContentType, buffer.WrittenMemory, context.Aborted);
    }
}
