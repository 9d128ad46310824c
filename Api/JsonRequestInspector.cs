using System.Text;
using System.Text.Json;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>Checks that a request body is JSON and finds its top-level <c>model</c>, without building a DOM.</summary>
internal static class JsonRequestInspector
{
    // The model named last on this thread, as sent and as a string: a client names the same model request after request,
    // so its string is reused when the bytes match instead of decoded and allocated again (the parser does the same with
    // header values).
    // Model names are short; a longer value is decoded every time rather than held by the thread.
    private const int MaxCachedModelBytes = 256;

    [ThreadStatic]
    private static byte[]? t_lastModelBytes;

    [ThreadStatic]
    private static string? t_lastModel;

    /// <summary>
    /// True when <paramref name="body"/> is one complete JSON value in UTF-8; <paramref name="model"/> is its top-level
    /// string "model", if any. Otherwise <paramref name="error"/> is the client's message and <paramref name="code"/> its code.
    /// </summary>
    public static bool TryInspect(ReadOnlySpan<byte> body, out string? model, out string? error, out string? code) =>
        Inspect(body, scan: true, out model, out error, out code);

    /// <summary><see cref="TryInspect"/> with every body read by <c>Utf8JsonReader</c>: the oracle the scan's tests compare with.</summary>
    internal static bool TryInspectWithReader(ReadOnlySpan<byte> body, out string? model, out string? error, out string? code) =>
        Inspect(body, scan: false, out model, out error, out code);

    private static bool Inspect(ReadOnlySpan<byte> body, bool scan, out string? model, out string? error, out string? code)
    {
        model = null;
        error = null;
        code = null;

        // RFC 8259 §8.1: a parser MAY ignore a leading byte order mark; Python's json (the original proxy) and llama.cpp do.
        int skipped = 0;
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
            skipped = 3;
        }

        // RFC 8259 §8.1: JSON text is UTF-8. The reader does not check the bytes inside strings, and a body that is not
        // text is not forwarded for the upstream to guess at, nor read with its bad bytes replaced.
        int invalid = JsonTextFaults.FindInvalidUtf8(body);
        if (invalid >= 0)
        {
            error = Sentence(JsonTextFaults.InvalidUtf8Message(body, invalid, skipped));
            code = "invalid_utf8";
            return false;
        }

        // The common case in one pass over the bytes; anything the scan does not vouch for, errors included, is read by
        // the reader below, which gives the verdict and its message.
        if (scan && JsonRequestScan.TryAccept(body, out int modelStart, out int modelLength))
        {
            model = modelStart < 0 ? null : ModelString(body.Slice(modelStart, modelLength));
            return true;
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 });
        try
        {
            if (!reader.Read())
            {
                error = "Invalid JSON in request body (the body is empty).";
                code = "invalid_json";
                return false;
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    // A name holding half a surrogate pair is not "model" (and the reader's comparison would throw on it).
                    var isModel = (!reader.ValueIsEscaped || JsonTextFaults.FindLoneSurrogate(reader.ValueSpan) < 0) && reader.ValueTextEquals("model"u8);
                    reader.Read();
                    if (isModel && reader.TokenType == JsonTokenType.String)
                    {
                        // The model is read as text (to find its profile and for the log): half a surrogate pair is not text.
                        int lone = reader.ValueIsEscaped ? JsonTextFaults.FindLoneSurrogate(reader.ValueSpan) : -1;
                        if (lone >= 0)
                        {
                            error = Sentence(JsonTextFaults.LoneSurrogateInModelMessage(body, (int)reader.TokenStartIndex + 1 + lone, skipped));
                            code = "invalid_model";
                            return false;
                        }

                        model = reader.ValueIsEscaped ? reader.GetString()! : ModelString(reader.ValueSpan);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }

            // A second value after the first (`{} {}`) is not one JSON document.
            if (reader.Read())
            {
                error = "Invalid JSON in request body (unexpected data after the JSON value).";
                code = "invalid_json";
                return false;
            }

            return true;
        }
        catch (JsonException ex)
        {
            error = $"Invalid JSON in request body (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).";
            code = "invalid_json";
            return false;
        }
    }

    private static string Sentence(string text) => string.Concat(text[..1].ToUpperInvariant(), text.AsSpan(1), ".");

    /// <summary>The model's string for its unescaped UTF-8 bytes (checked), the thread's last one when the bytes match.</summary>
    private static string ModelString(ReadOnlySpan<byte> bytes)
    {
        if (t_lastModel is { } last && bytes.SequenceEqual(t_lastModelBytes))
        {
            return last;
        }

        var model = Encoding.UTF8.GetString(bytes);
        if (bytes.Length > MaxCachedModelBytes)
        {
            return model;
        }

        t_lastModelBytes = bytes.ToArray();
        t_lastModel = model;
        return model;
    }
}
