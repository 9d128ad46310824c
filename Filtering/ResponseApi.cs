namespace CotProxy.Filtering;

/// <summary>
/// Which generation API a response answers: it decides how a JSON document says where the answer and the reasoning are.
/// The framing (SSE, NDJSON, one body) is chosen apart from it, by the Content-Type and the bytes.
/// </summary>
internal enum ResponseApi
{
    /// <summary>Choices and Ollama's messages: chat completions, /v1/completions, Ollama's /api/chat and /api/generate.</summary>
    Choices,

    /// <summary>OpenAI's Responses API (<c>/v1/responses</c>): output items and <c>response.*</c> events.</summary>
    Responses,

    /// <summary>Anthropic's Messages API (<c>/v1/messages</c>): content blocks and their events.</summary>
    Messages,
}
