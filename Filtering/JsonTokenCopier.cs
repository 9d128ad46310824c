using System.Buffers;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>Copies JSON tokens from a reader to a writer, keeping numbers and strings as their exact raw text.</summary>
internal static class JsonTokenCopier
{
    /// <summary>Copies the value at the reader, keeping numbers and untouched strings as their exact raw text.</summary>
    public static void CopyValue(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        WriteToken(ref reader, writer);
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        int depth = reader.CurrentDepth;
        while (reader.Read())
        {
            WriteToken(ref reader, writer);
            if (reader.CurrentDepth == depth && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                return;
            }
        }
    }

    public static void WriteToken(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        if (JsonOutput.TryWriteNonText(ref reader, writer))
        {
            return;
        }

        if (reader.TokenType == JsonTokenType.PropertyName)
        {
            WriteRawPropertyName(ref reader, writer);
        }
        else if (reader.TokenType == JsonTokenType.String)
        {
            WriteRawString(reader.ValueSpan, writer);
        }
    }

    private static void WriteRawPropertyName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WritePropertyName(reader.ValueSpan);
            return;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            int written = reader.CopyString(rented);
            writer.WritePropertyName(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The unescaped value of the current string or property name token: its own bytes, or unescaped into <paramref name="scratch"/>.</summary>
    public static ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader, PooledByteBuffer scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        scratch.Clear();
        int written = reader.CopyString(scratch.GetSpan(reader.ValueSpan.Length));
        scratch.Advance(written);
        return scratch.WrittenSpan;
    }

    /// <summary>Writes a string value exactly as it was escaped upstream (the raw text between the quotes).</summary>
    public static void WriteRawString(ReadOnlySpan<byte> raw, Utf8JsonWriter writer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(raw.Length + 2);
        try
        {
            rented[0] = (byte)'"';
            raw.CopyTo(rented.AsSpan(1));
            rented[raw.Length + 1] = (byte)'"';
            writer.WriteRawValue(rented.AsSpan(0, raw.Length + 2), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
