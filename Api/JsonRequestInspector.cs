using System.Text.Json;

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

    /// <summary>True when <paramref name="body"/> is one complete JSON value; <paramref name="model"/> is its top-level string "model", if any.</summary>
    public static bool TryInspect(ReadOnlySpan<byte> body, out string? model, out string? error)
    {
        model = null;
        error = null;

        // RFC 8259 §8.1: a parser MAY ignore a leading byte order mark; Python's json (the original proxy) and llama.cpp do.
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 256 });
        try
        {
            if (!reader.Read())
            {
                error = "the body is empty";
                return false;
            }

            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isModel = reader.ValueTextEquals("model"u8);
                    reader.Read();
                    if (isModel && reader.TokenType == JsonTokenType.String)
                    {
                        model = ModelString(ref reader);
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
                error = "unexpected data after the JSON value";
                return false;
            }

            return true;
        }
        catch (JsonException ex)
        {
            error = $"line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}";
            return false;
        }
    }

    private static string ModelString(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return reader.GetString()!;
        }

        var bytes = reader.ValueSpan;
        if (t_lastModel is { } last && bytes.SequenceEqual(t_lastModelBytes))
        {
            return last;
        }

        var model = reader.GetString()!;
        if (bytes.Length > MaxCachedModelBytes)
        {
            return model;
        }

        t_lastModelBytes = bytes.ToArray();
        t_lastModel = model;
        return model;
    }
}
