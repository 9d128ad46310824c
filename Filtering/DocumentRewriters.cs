namespace CotProxy.Filtering;

/// <summary>The one place that picks the document rewriter for an API's responses.</summary>
internal static class DocumentRewriters
{
    public static IDocumentRewriter Create(ResponseApi api, ResponseRewriteOptions options, ResponseFraming framing) => api switch
    {
        ResponseApi.Responses => new ResponsesDocumentRewriter(options, framing),
        ResponseApi.Messages => new MessagesDocumentRewriter(options, framing != ResponseFraming.JsonBody),
        // Chat completions, /v1/completions and Ollama's /api/chat and /api/generate.
        _ => new JsonPayloadRewriter(options, framing != ResponseFraming.JsonBody),
    };
}
