namespace CotProxy.Filtering;

/// <summary>Chooses the rewriter for an upstream response for a body of a given framing.</summary>
internal static class ResponseRewriterFactory
{
    public const int DefaultMaxBufferedBytes = 64 * 1024 * 1024;

    /// <summary>The rewriter for a body of the given framing; null when the options change nothing it could hold.</summary>
    public static IResponseRewriter? Create(ResponseFraming framing, ResponseRewriteOptions options, int maxBufferedBytes = DefaultMaxBufferedBytes, ResponseApi api = ResponseApi.Choices)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.IsNoOp)
        {
            return null;
        }

        return framing switch
        {
            ResponseFraming.EventStream or ResponseFraming.Ndjson or ResponseFraming.JsonBody => new FramedDocumentRewriter(framing, options, maxBufferedBytes, api),
            // Plain text has no model field to rename: only a filter changes it.
            ResponseFraming.Text when options.FiltersThinking => new RawTextResponseRewriter(options),
            _ => null,
        };
    }
}
