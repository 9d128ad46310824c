using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>Writes JSON nodes as compact UTF-8, leaving non-ASCII text as UTF-8 rather than \u escapes.</summary>
internal static class JsonText
{
    private static readonly JsonWriterOptions s_writerOptions = JsonOutput.Options;

    private static readonly JsonDocumentOptions s_documentOptions = new()
    {
        // RFC 8259 §4 leaves duplicate names undefined and servers disagree on which one wins, so
        // a body with duplicates cannot be rewritten safely: reject it rather than guess.
        AllowDuplicateProperties = false,
    };

    public static JsonDocumentOptions DocumentOptions => s_documentOptions;

    public static byte[] ToUtf8(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            if (node is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                node.WriteTo(writer);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Of(JsonNode? node) => System.Text.Encoding.UTF8.GetString(ToUtf8(node));

    /// <summary><see cref="Of"/> cut to <paramref name="max"/> characters for a log line.</summary>
    public static string Short(JsonNode? node, int max = 80)
    {
        string text = Of(node);
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
    }
}
