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
    public static string Short(JsonNode? node, int max = 80) => Cut(Of(node), max);

    /// <summary>
    /// The JSON value <paramref name="json"/> (already checked) as <see cref="Short(JsonNode?, int)"/> shows it once
    /// parsed, without parsing more of it than the line shows: a 30 MiB prompt in a DEBUG log costs a few hundred bytes.
    /// </summary>
    public static string Short(ReadOnlySpan<byte> json, int max = 80)
    {
        // Past this many bytes of output the text is longer than max characters (at most 4 bytes each), so it is cut.
        int budget = (4 * (max + 1)) + 16;
        Span<byte> start = stackalloc byte[Math.Max(budget, JsonStringUnescaper.MinimumDestination)];
        using var buffer = new PooledByteBuffer(512);
        using (Utf8JsonWriter writer = JsonOutput.CreateWriter(buffer))
        {
            var reader = new Utf8JsonReader(json);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > budget)
                {
                    // Only the start of a long string can show.
                    int length = reader.ValueIsEscaped ? new JsonStringUnescaper(reader.ValueSpan).Read(start) : WholeCharacters(reader.ValueSpan, start);
                    writer.WriteStringValueSegment(start[..length], isFinalSegment: true);
                    break;
                }

                JsonEditCopier.WriteToken(json, ref reader, writer);
                if (writer.BytesCommitted + writer.BytesPending > budget)
                {
                    break;
                }
            }

            writer.Flush();
        }

        return Cut(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), max);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    private static int WholeCharacters(ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        int take = Math.Min(utf8.Length, destination.Length);
        while (take < utf8.Length && take > 0 && (utf8[take] & 0xC0) == 0x80)
        {
            take--;
        }

        utf8[..take].CopyTo(destination);
        return take;
    }
}
