using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// <c>/metrics</c>: the proxy's numbers in the Prometheus text format, and the <c>route</c> label every request is
/// counted under.
/// </summary>
internal sealed class MetricsEndpoint
{
    public const string Path = "/metrics";

    private readonly ProxyMetrics _metrics;

    public MetricsEndpoint(ProxyMetrics metrics)
    {
        _metrics = metrics;
    }

    public static bool Answers(ReadOnlySpan<char> path) => path.SequenceEqual(Path);

    /// <summary>
    /// The route label of a path: the OpenAI, Anthropic and Ollama endpoints by their last segments (so any base path
    /// before them counts the same), the proxy's own endpoints, and <c>other</c> for the rest.
    /// </summary>
    public static MetricsRoute RouteOf(ReadOnlySpan<char> path)
    {
        if (path.EndsWith("/chat/completions"))
        {
            return MetricsRoute.ChatCompletions;
        }

        if (path.EndsWith("/completions"))
        {
            return MetricsRoute.Completions;
        }

        if (path.EndsWith("/responses"))
        {
            return MetricsRoute.Responses;
        }

        if (path.EndsWith("/messages"))
        {
            return MetricsRoute.Messages;
        }

        if (path.EndsWith("/api/chat"))
        {
            return MetricsRoute.OllamaChat;
        }

        if (path.EndsWith("/api/generate"))
        {
            return MetricsRoute.OllamaGenerate;
        }

        if (path.EndsWith("/models") || path.Contains("/models/", StringComparison.Ordinal) || path.EndsWith("/api/tags"))
        {
            return MetricsRoute.Models;
        }

        if (HealthEndpoint.Answers(path))
        {
            return MetricsRoute.Health;
        }

        return Answers(path) ? MetricsRoute.Metrics : MetricsRoute.Other;
    }

    public async Task HandleAsync(HttpContext context)
    {
        using var buffer = new PooledByteBuffer(8192);
        _metrics.Render(buffer);
        await context.Response.WriteCompleteAsync(200, ProxyMetrics.ContentType, buffer.WrittenMemory, context.Aborted);
    }
}
