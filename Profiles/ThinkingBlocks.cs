using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// Anthropic's content blocks in an earlier assistant turn (Messages API, "Extended thinking"): its <c>thinking</c> and
/// <c>redacted_thinking</c> blocks, and whether it used a tool (a <c>tool_use</c> block, Anthropic's tool call).
/// </summary>
internal static class ThinkingBlocks
{
    /// <summary>Reads the content array at [<paramref name="start"/>, <paramref name="end"/>): whether it holds a thinking block, a tool_use block.</summary>
    public static void Scan(ReadOnlySpan<byte> json, int start, int end, out bool thinking, out bool toolUse)
    {
        thinking = false;
        toolUse = false;
        var reader = new Utf8JsonReader(json[start..end], RequestBodyScanner.ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            switch (TypeOf(ref reader))
            {
                case "thinking" or "redacted_thinking":
                    thinking = true;
                    break;
                case "tool_use":
                    toolUse = true;
                    break;
            }
        }
    }

    /// <summary>
    /// The content array at [<paramref name="start"/>, <paramref name="end"/>) without its thinking blocks, and with the
    /// think tags of its text blocks removed, as the one value that replaces it.
    /// </summary>
    public static JsonArray Without(ReadOnlySpan<byte> json, int start, int end, HistoryRule rule)
    {
        var kept = new JsonArray();
        ReadOnlySpan<byte> array = json[start..end];
        var reader = new Utf8JsonReader(array, RequestBodyScanner.ReaderOptions);
        reader.Read();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int from = (int)reader.TokenStartIndex;
            Utf8JsonReader copy = reader;
            string? type = TypeOf(ref copy);
            reader.Skip();
            if (type is "thinking" or "redacted_thinking")
            {
                continue;
            }

            JsonNode? node = JsonNode.Parse(array[from..(int)reader.BytesConsumed]);
            if (type == "text" && node is JsonObject block && block["text"] is JsonValue value && value.TryGetValue(out string? text)
                && ThinkBlocks.Strip(Encoding.UTF8.GetBytes(text), rule.Tags, rule.StartsOpen) is { } stripped)
            {
                block["text"] = stripped;
            }

            kept.Add(node);
        }

        return kept;
    }

    /// <summary>The "type" string of the object the reader is on (read to its end), or null.</summary>
    private static string? TypeOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return null;
        }

        string? type = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType && reader.TokenType == JsonTokenType.String)
            {
                type = reader.ValueTextEquals("thinking"u8) ? "thinking"
                    : reader.ValueTextEquals("redacted_thinking"u8) ? "redacted_thinking"
                    : reader.ValueTextEquals("tool_use"u8) ? "tool_use"
                    : reader.ValueTextEquals("text"u8) ? "text"
                    : "other";
            }

            reader.Skip();
        }

        return type;
    }
}
