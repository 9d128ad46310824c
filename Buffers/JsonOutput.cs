using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CotProxy.Buffers;

/// <summary>The one way the proxy writes JSON: compact, and with non-ASCII text kept as UTF-8 bytes.</summary>
internal static class JsonOutput
{
    public const string ContentType = "application/json";

    // Relaxed escaping keeps "é" and emoji as UTF-8 bytes, as clients and servers send them; the default encoder would
    // turn every non-ASCII character into \uXXXX and bloat prompts and answers.
    private static readonly JsonWriterOptions s_checked = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // For writers that copy a document the reader already validated token by token: checking the structure again only costs time.
    private static readonly JsonWriterOptions s_unchecked = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public static JsonWriterOptions Options => s_checked;

    public static JsonWriterOptions UncheckedOptions => s_unchecked;

    public static Utf8JsonWriter CreateWriter(IBufferWriter<byte> output) => new(output, s_checked);

    /// <summary>
    /// Writes the reader's token when it is structure or a literal (brackets, a number as its exact text, true, false,
    /// null) and returns true; returns false for a property name or a string, whose text each caller writes its own way.
    /// </summary>
    public static bool TryWriteNonText(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                return true;
            case JsonTokenType.EndObject:
                writer.WriteEndObject();
                return true;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                return true;
            case JsonTokenType.EndArray:
                writer.WriteEndArray();
                return true;
            case JsonTokenType.Number:
                // The exact text that came in: 0.950 stays 0.950, 1e3 stays 1e3.
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                return true;
            case JsonTokenType.True:
                writer.WriteBooleanValue(true);
                return true;
            case JsonTokenType.False:
                writer.WriteBooleanValue(false);
                return true;
            case JsonTokenType.Null:
                writer.WriteNullValue();
                return true;
            default:
                return false;
        }
    }
}
