using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>Builds chat-completion SSE events as llama.cpp and vLLM send them (non-ASCII written as raw UTF-8, not escaped).</summary>
internal static class SseEvents
{
    private static readonly JsonWriterOptions s_relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One event carrying each content as <c>delta.content</c> of each (index, content) pair.</summary>
    public static string Content(params (int Index, string Content)[] choices) => Event([.. choices.Select(c => (c.Index, (string?)c.Content))], finishReason: null);

    public static string Finish(int index = 0, string reason = "stop") => Event([(index, null)], reason);

    public const string Done = "data: [DONE]\n\n";

    public static byte[] Utf8(IEnumerable<string> events) => Encoding.UTF8.GetBytes(string.Concat(events));

    private static string Event((int Index, string? Content)[] choices, string? finishReason)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, s_relaxed))
        {
            w.WriteStartObject();
            w.WriteString("id", "chatcmpl-test");
            w.WriteString("object", "chat.completion.chunk");
            w.WriteString("model", "any");
            w.WriteStartArray("choices");
            foreach (var (index, content) in choices)
            {
                w.WriteStartObject();
                w.WriteNumber("index", index);
                w.WriteStartObject("delta");
                if (content is not null)
                {
                    w.WriteString("content", content);
                }

                w.WriteEndObject();
                if (finishReason is null)
                {
                    w.WriteNull("finish_reason");
                }
                else
                {
                    w.WriteString("finish_reason", finishReason);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return "data: " + Encoding.UTF8.GetString(stream.ToArray()) + "\n\n";
    }
}
