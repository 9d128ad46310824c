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
        || path.EndsWith("/api/chat") || path.EndsWith("/api/generate");

    /// <summary>The API a generation path's response is written in.</summary>
    public static ResponseApi ApiOf(ReadOnlySpan<char> path) =>
        path.EndsWith("/responses") ? ResponseApi.Responses : ResponseApi.Choices;
}
