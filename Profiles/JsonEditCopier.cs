using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// The copy pass of the request rewrite: reads the client's body token by token and writes it again with the edits
/// applied, never holding more than one token. Values are written as a JSON document tree would write them (numbers with
/// their exact text, strings decoded and escaped again by <see cref="JsonOutput"/>'s encoder, so output matches what the
/// tree-based rewrite sent byte for byte), and long strings go out in segments, so neither a decoded copy of a long prompt
/// nor the encoder's worst-case escaping buffer for it is ever allocated.
/// </summary>
internal static class JsonEditCopier
{
    // Strings longer than this are decoded and written in segments of this size.
    private const int SegmentBytes = 8 * 1024;

    /// <summary>The most free space one token asks of the output beyond its own length (a segment escaped in the worst case).</summary>
    public const int MaxWriteOverhead = (6 * SegmentBytes) + 1024;

    /// <param name="json">The body, already checked by the scan pass.</param>
    /// <param name="edits">The changes, ordered by offset, at most one per offset except several insertions.</param>
    /// <param name="writer">Where the new body goes.</param>
    public static void Copy(ReadOnlySpan<byte> json, ReadOnlySpan<BodyEdit> edits, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(json, RequestBodyScanner.ReaderOptions);
        int next = 0;
        while (reader.Read())
        {
            if (next < edits.Length && edits[next].Offset == (int)reader.TokenStartIndex)
            {
                if (Apply(ref reader, edits, ref next, writer))
                {
                    continue;
                }
            }

            WriteToken(json, ref reader, writer);
        }

        Debug.Assert(next == edits.Length, "every edit names a token the copy met");
    }

    /// <summary>Writes the token the reader (reading <paramref name="json"/> from its start) is on.</summary>
    public static void WriteToken(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        if (JsonOutput.TryWriteNonText(ref reader, writer))
        {
            return;
        }

        if (reader.TokenType == JsonTokenType.PropertyName)
        {
            WritePropertyName(reader.ValueSpan, reader.ValueIsEscaped, writer);
            return;
        }

        if (IsWrittenAsIs(reader.ValueSpan))
        {
            // Decoding and escaping again would give the same bytes: copy them, quotes included.
            writer.WriteRawValue(json.Slice((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2), skipInputValidation: true);
        }
        else
        {
            WriteString(reader.ValueSpan, reader.ValueIsEscaped, default, writer);
        }
    }

    /// <summary>
    /// Writes a string value from its escaped text (<paramref name="isEscaped"/> when it holds escapes) with
    /// <paramref name="suffix"/> (UTF-8) appended: the decoded text goes to the writer, which escapes it as it escapes
    /// every string it writes.
    /// </summary>
    public static void WriteString(ReadOnlySpan<byte> escaped, bool isEscaped, ReadOnlySpan<byte> suffix, Utf8JsonWriter writer)
    {
        if (!isEscaped && suffix.IsEmpty && escaped.Length <= SegmentBytes)
        {
            writer.WriteStringValue(escaped);
            return;
        }

        if (!isEscaped)
        {
            while (escaped.Length > SegmentBytes)
            {
                int take = SegmentBytes;
                while (take > 0 && (escaped[take] & 0xC0) == 0x80)
                {
                    take--; // whole characters only: the encoder escapes character by character
                }

                writer.WriteStringValueSegment(escaped[..take], isFinalSegment: false);
                escaped = escaped[take..];
            }

            writer.WriteStringValueSegment(escaped, isFinalSegment: false);
        }
        else
        {
            Span<byte> segment = stackalloc byte[Math.Min(SegmentBytes, Math.Max(escaped.Length, JsonStringUnescaper.MinimumDestination))];
            var unescaper = new JsonStringUnescaper(escaped);
            int n;
            while ((n = unescaper.Read(segment)) > 0)
            {
                writer.WriteStringValueSegment(segment[..n], isFinalSegment: false);
            }
        }

        writer.WriteStringValueSegment(suffix, isFinalSegment: true);
    }

    /// <summary>
    /// Whether the writer, given the decoded text, would write <paramref name="escaped"/> back unchanged: its raw runs
    /// hold nothing the encoder escapes, and its escapes are the short ones the writer itself uses (<c>\n</c>,
    /// <c>\"</c>, …; not <c>\/</c> or <c>\u00e9</c>, which it writes as the character).
    /// </summary>
    private static bool IsWrittenAsIs(ReadOnlySpan<byte> escaped)
    {
        JavaScriptEncoder encoder = JsonOutput.Options.Encoder!;
        while (true)
        {
            int backslash = escaped.IndexOf((byte)'\\');
            if (encoder.FindFirstCharacterToEncodeUtf8(backslash < 0 ? escaped : escaped[..backslash]) >= 0)
            {
                return false;
            }

            if (backslash < 0)
            {
                return true;
            }

            if (escaped[backslash + 1] is not ((byte)'n' or (byte)'"' or (byte)'\\' or (byte)'t' or (byte)'r' or (byte)'b' or (byte)'f'))
            {
                return false;
            }

            escaped = escaped[(backslash + 2)..];
        }
    }

    /// <summary>Writes a property name from its escaped text; names are short, so a decoded copy of one is cheap.</summary>
    public static void WritePropertyName(ReadOnlySpan<byte> escaped, bool isEscaped, Utf8JsonWriter writer)
    {
        if (!isEscaped)
        {
            writer.WritePropertyName(escaped);
            return;
        }

        byte[]? rented = null;
        try
        {
            Span<byte> decoded = escaped.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(escaped.Length));
            var unescaper = new JsonStringUnescaper(escaped);
            int written = 0;
            int n;
            while ((n = unescaper.Read(decoded[written..])) > 0)
            {
                written += n;
            }

            writer.WritePropertyName(decoded[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Applies the edits at the reader's token; false when the token itself is still to be written (an insertion before an end).</summary>
    private static bool Apply(ref Utf8JsonReader reader, ReadOnlySpan<BodyEdit> edits, ref int next, Utf8JsonWriter writer)
    {
        BodyEdit edit = edits[next++];
        switch (edit.Kind)
        {
            case BodyEditKind.RemoveProperty:
                reader.Read();
                reader.Skip();
                return true;
            case BodyEditKind.ReplaceValue:
                reader.Skip();
                WriteNode(edit.Value, writer);
                return true;
            case BodyEditKind.AppendToString:
                WriteSuffixed(reader.ValueSpan, reader.ValueIsEscaped, edit.Suffix!, writer);
                return true;
            default:
                Insert(edit, writer);
                while (next < edits.Length && edits[next].Offset == edit.Offset)
                {
                    Insert(edits[next++], writer);
                }

                return false;
        }
    }

    private static void Insert(BodyEdit edit, Utf8JsonWriter writer)
    {
        if (edit.Members is null)
        {
            WriteNode(edit.Value, writer);
            return;
        }

        foreach (KeyValuePair<string, JsonNode?> member in edit.Members)
        {
            writer.WritePropertyName(member.Key);
            WriteNode(member.Value, writer);
        }
    }

    private static void WriteSuffixed(ReadOnlySpan<byte> escaped, bool isEscaped, string suffix, Utf8JsonWriter writer)
    {
        int max = Encoding.UTF8.GetMaxByteCount(suffix.Length);
        byte[]? rented = null;
        try
        {
            Span<byte> utf8 = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
            int length = Encoding.UTF8.GetBytes(suffix, utf8);
            WriteString(escaped, isEscaped, utf8[..length], writer);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void WriteNode(JsonNode? node, Utf8JsonWriter writer)
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
}
