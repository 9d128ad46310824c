using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Writes a JSON string literal escaping only what RFC 8259 §7 requires (quotation mark, reverse
/// solidus, control characters), so every other character, emoji included, stays as its UTF-8 bytes.
/// </summary>
internal static class JsonStringEscaper
{
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>Writes <paramref name="utf8"/> as a JSON string value, escaped in <paramref name="scratch"/> (cleared first).</summary>
    public static void WriteValue(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8, PooledByteBuffer scratch)
    {
        scratch.Clear();
        WriteQuoted(utf8, scratch);
        writer.WriteRawValue(scratch.WrittenSpan, skipInputValidation: true);
    }

    public static void WriteQuoted(ReadOnlySpan<byte> utf8, PooledByteBuffer output)
    {
        output.Append("\""u8);
        while (!utf8.IsEmpty)
        {
            int special = IndexOfSpecial(utf8);
            if (special < 0)
            {
                output.Append(utf8);
                break;
            }

            output.Append(utf8[..special]);
            byte b = utf8[special];
            switch (b)
            {
                case (byte)'"':
                    output.Append("\\\""u8);
                    break;
                case (byte)'\\':
                    output.Append("\\\\"u8);
                    break;
                case (byte)'\n':
                    output.Append("\\n"u8);
                    break;
                case (byte)'\r':
                    output.Append("\\r"u8);
                    break;
                case (byte)'\t':
                    output.Append("\\t"u8);
                    break;
                default:
                    Span<byte> escape = output.GetSpan(6);
                    "\\u00"u8.CopyTo(escape);
                    escape[4] = Hex[b >> 4];
                    escape[5] = Hex[b & 0xF];
                    output.Advance(6);
                    break;
            }

            utf8 = utf8[(special + 1)..];
        }

        output.Append("\""u8);
    }

    private static int IndexOfSpecial(ReadOnlySpan<byte> utf8)
    {
        for (int i = 0; i < utf8.Length; i++)
        {
            byte b = utf8[i];
            if (b < 0x20 || b == (byte)'"' || b == (byte)'\\')
            {
                return i;
            }
        }

        return -1;
    }
}
