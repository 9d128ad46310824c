using CotProxy.Http.Server;

namespace CotProxy.Filtering;

/// <summary>Chooses the rewriter for an upstream response from its Content-Type.</summary>
internal static class ResponseRewriterFactory
{
    public const int DefaultMaxBufferedBytes = 64 * 1024 * 1024;

    /// <summary>
    /// text/event-stream → SSE; application/x-ndjson → NDJSON; application/json and +json → whole
    /// body; other text/* → raw text; anything else, or options that change nothing → null.
    /// </summary>
    public static IResponseRewriter? Create(string? contentType, ResponseRewriteOptions options, int maxBufferedBytes = DefaultMaxBufferedBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsNoOp || contentType is null)
        {
            return null;
        }

        // RFC 9110 §8.3.1: type and subtype are case-insensitive.
        var media = MediaType.Of(contentType);
        if (media.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return new SseResponseRewriter(options, maxBufferedBytes);
        }

        if (media.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/ndjson", StringComparison.OrdinalIgnoreCase))
        {
            return new NdjsonResponseRewriter(options, maxBufferedBytes);
        }

        if (MediaType.IsJson(media))
        {
            return new JsonBodyResponseRewriter(options, maxBufferedBytes);
        }

        if (media.StartsWith("text/", StringComparison.OrdinalIgnoreCase) && options.FiltersThinking)
        {
            return new RawTextResponseRewriter(options);
        }

        return null;
    }
}
