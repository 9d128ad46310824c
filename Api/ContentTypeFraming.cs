using CotProxy.Filtering;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>Which framing an upstream response has, read from its Content-Type (the request's <c>stream</c> flag is not trusted).</summary>
internal static class ContentTypeFraming
{
    /// <summary>
    /// text/event-stream → SSE; application/x-ndjson → NDJSON; application/json and +json → whole body; other text/* →
    /// raw text; anything else, or no Content-Type → null (passed untouched).
    /// </summary>
    public static ResponseFraming? Of(string? contentType)
    {
        // RFC 9110 §8.3.1: type and subtype are case-insensitive.
        var media = MediaType.Of(contentType);
        if (media.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return ResponseFraming.EventStream;
        }

        if (media.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || media.Equals("application/ndjson", StringComparison.OrdinalIgnoreCase))
        {
            return ResponseFraming.Ndjson;
        }

        if (MediaType.IsJson(media))
        {
            return ResponseFraming.JsonBody;
        }

        return media.StartsWith("text/", StringComparison.OrdinalIgnoreCase) ? ResponseFraming.Text : null;
    }

    /// <summary>
    /// False for media that cannot carry a thought as text (images, audio, video, fonts): strip mode sniffs every other
    /// body, labelled or not, since a wrong or missing label must not let a thought through.
    /// </summary>
    public static bool MayHoldText(string? contentType)
    {
        var media = MediaType.Of(contentType);
        return !(media.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
            || media.StartsWith("audio/", StringComparison.OrdinalIgnoreCase)
            || media.StartsWith("video/", StringComparison.OrdinalIgnoreCase)
            || media.StartsWith("font/", StringComparison.OrdinalIgnoreCase));
    }
}
