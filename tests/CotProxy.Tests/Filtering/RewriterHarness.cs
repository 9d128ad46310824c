using System.Buffers;
using System.Text;
using System.Text.Json;
using CotProxy.Api;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>Runs a rewriter over a body fed in chunks, and reads what a client would see in the output.</summary>
internal static class RewriterHarness
{
    public static byte[] Run(string contentType, ResponseRewriteOptions options, byte[] body, int chunkSize)
    {
        using IResponseRewriter rewriter = (ContentTypeFraming.Of(contentType) is { } framing ? ResponseRewriterFactory.Create(framing, options) : null)
            ?? throw new InvalidOperationException("No rewriter for " + contentType);
        var output = new ArrayBufferWriter<byte>();
        int size = chunkSize <= 0 ? Math.Max(body.Length, 1) : chunkSize;
        for (int offset = 0; offset < body.Length; offset += size)
        {
            rewriter.Write(body.AsSpan(offset, Math.Min(size, body.Length - offset)), output);
        }

        rewriter.Complete(output);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] RunSplitAt(string contentType, ResponseRewriteOptions options, byte[] body, int position)
    {
        using IResponseRewriter rewriter = (ContentTypeFraming.Of(contentType) is { } framing ? ResponseRewriterFactory.Create(framing, options) : null)
            ?? throw new InvalidOperationException("No rewriter for " + contentType);
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(body.AsSpan(0, position), output);
        rewriter.Write(body.AsSpan(position), output);
        rewriter.Complete(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The data values of an SSE body, in order (multi-line data joined with LF).</summary>
    public static List<string> SseData(string body)
    {
        var result = new List<string>();
        var data = new StringBuilder();
        bool any = false;
        foreach (string line in body.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'))
        {
            if (line.Length == 0)
            {
                if (any)
                {
                    result.Add(data.ToString());
                }

                data.Clear();
                any = false;
                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                string value = line[5..];
                value = value.StartsWith(' ') ? value[1..] : value;
                data.Append(any ? "\n" : "").Append(value);
                any = true;
            }
        }

        if (any)
        {
            result.Add(data.ToString());
        }

        return result;
    }

    /// <summary>Concatenated answer text per choice index from JSON events (delta.content, else text; Ollama message.content / response).</summary>
    public static SortedDictionary<int, string> VisibleText(IEnumerable<string> jsonEvents, string field = "content")
    {
        var text = new SortedDictionary<int, StringBuilder>();
        foreach (string json in jsonEvents)
        {
            if (json == "[DONE]")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (root.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.Object)
            {
                Append(text, 0, message, field);
            }

            if (root.TryGetProperty("response", out JsonElement response) && response.ValueKind == JsonValueKind.String)
            {
                Get(text, 0).Append(response.GetString());
            }

            if (!root.TryGetProperty("choices", out JsonElement choices) || choices.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (JsonElement choice in choices.EnumerateArray())
            {
                int index = choice.TryGetProperty("index", out JsonElement i) ? i.GetInt32() : 0;
                if (choice.TryGetProperty("delta", out JsonElement delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    Append(text, index, delta, field);
                }
                else if (choice.TryGetProperty("message", out JsonElement whole) && whole.ValueKind == JsonValueKind.Object)
                {
                    Append(text, index, whole, field);
                }

                if (field == "text" && choice.TryGetProperty("text", out JsonElement t) && t.ValueKind == JsonValueKind.String)
                {
                    Get(text, index).Append(t.GetString());
                }
            }
        }

        var result = new SortedDictionary<int, string>();
        foreach ((int index, StringBuilder builder) in text)
        {
            result[index] = builder.ToString();
        }

        return result;
    }

    /// <summary>The reference answer of a text whose thinking (if any) comes first: what follows the first end tag, leading whitespace dropped.</summary>
    public static string ReferenceAnswer(string raw, string endTag = "</think>")
    {
        int end = raw.IndexOf(endTag, StringComparison.Ordinal);
        return end < 0 ? raw : raw[(end + endTag.Length)..].TrimStart(' ', '\t', '\r', '\n');
    }

    private static void Append(SortedDictionary<int, StringBuilder> text, int index, JsonElement container, string field)
    {
        if (container.TryGetProperty(field, out JsonElement value) && value.ValueKind == JsonValueKind.String)
        {
            Get(text, index).Append(value.GetString());
        }
    }

    private static StringBuilder Get(SortedDictionary<int, StringBuilder> text, int index)
    {
        if (!text.TryGetValue(index, out StringBuilder? builder))
        {
            builder = new StringBuilder();
            text[index] = builder;
        }

        return builder;
    }
}
