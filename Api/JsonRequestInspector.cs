using System.Text.Json;

namespace CotProxy.Api;

/// <summary>Checks that a request body is JSON and finds its top-level <c>model</c>, without building a DOM.</summary>
internal static class JsonRequestInspector
{
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
                        model = reader.GetString();
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
}
