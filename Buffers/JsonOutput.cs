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
}
