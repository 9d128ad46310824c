namespace CotProxy.Filtering;

/// <summary>The one place that picks the document rewriter for an API's responses.</summary>
internal static class DocumentRewriters
{
    public static IDocumentRewriter Create(ResponseApi api, ResponseRewriteOptions options, bool streaming) => api switch
    {
        // The Responses and Messages APIs get rewriters of their own; until then their documents take the choices path,
        // which filters what it recognises and lets other shapes pass (issue 15, item 5).
        ResponseApi.Messages => new MessagesDocumentRewriter(options, streaming),
        _ => new JsonPayloadRewriter(options, streaming),
    };
}
