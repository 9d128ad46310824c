using System.Text;
using CotProxy.Demo;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>Chat-completion SSE events as llama.cpp and vLLM send them, built by the demo model's own <see cref="ChatCompletionJson"/>.</summary>
internal static class SseEvents
{
    private static readonly ChatEnvelope s_envelope = new("chatcmpl-test", "any");

    /// <summary>One event carrying each content as <c>delta.content</c> of each (index, content) pair.</summary>
    public static string Content(params (int Index, string Content)[] choices) =>
        Event(ChatCompletionJson.Chunk(s_envelope, [.. choices.Select(c => new ChunkChoice(c.Index, c.Content))]));

    public static string Finish(int index = 0, string reason = "stop") =>
        Event(ChatCompletionJson.Chunk(s_envelope, new ChunkChoice(index, FinishReason: reason)));

    public const string Done = ChatCompletionJson.Done;

    public static byte[] Utf8(IEnumerable<string> events) => Encoding.UTF8.GetBytes(string.Concat(events));

    private static string Event(byte[] json) => Encoding.UTF8.GetString(ChatCompletionJson.SseEvent(json));
}
