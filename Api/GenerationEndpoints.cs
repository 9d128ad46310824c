using CotProxy.Filtering;

namespace CotProxy.Api;

/// <summary>
/// The paths that generate text: a model's profile and its response filter apply to these only (an embeddings call must
/// not receive a temperature), and the path says in which API's words the response comes back.
/// </summary>
internal static class GenerationEndpoints
{
    public static bool Is(ReadOnlySpan<char> path) =>
        path.EndsWith("/chat/completions") || path.EndsWith("/completions") || path.EndsWith("/responses")
        || path.EndsWith("/api/chat") || path.EndsWith("/api/generate") || IsMessages(path);

    /// <summary>The API a generation path's response is written in.</summary>
    public static ResponseApi ApiOf(ReadOnlySpan<char> path) =>
        IsMessages(path) ? ResponseApi.Messages : path.EndsWith("/responses") ? ResponseApi.Responses : ResponseApi.Choices;

    /// <summary>
    /// A stored Responses API response: <c>/responses/{response_id}</c>, exactly one segment after <c>/responses</c> (OpenAI's
    /// "Retrieve a model response", served by vLLM too); <c>/responses/{id}/input_items</c> and <c>/cancel</c> generate nothing.
    /// </summary>
    public static bool IsStoredResponse(ReadOnlySpan<char> path)
    {
        var slash = path.LastIndexOf('/');
        return slash >= 0 && slash < path.Length - 1 && path[..slash].EndsWith("/responses");
    }

    /// <summary>
    /// Anthropic's Messages API: a path ending in /v1/messages (behind any prefix). OpenAI's Assistants API lists a
    /// thread's messages at /v1/threads/{thread_id}/messages, which is not a generation, even for a thread named "v1";
    /// /v1/messages/count_tokens and /v1/messages/batches generate nothing either.
    /// </summary>
    private static bool IsMessages(ReadOnlySpan<char> path) =>
        path.EndsWith("/v1/messages") && !path[..^"/v1/messages".Length].EndsWith("/threads");
}
