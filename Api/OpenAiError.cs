using System.Text.Encodings.Web;
using System.Text.Json;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>Error bodies in the shape OpenAI clients parse: <c>{"error":{"message":…,"type":…,"code":…}}</c>.</summary>
internal static class OpenAiError
{
    private static readonly JsonWriterOptions s_options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Create(string message, string type, string? code)
    {
        using var buffer = new PooledByteBuffer(256);
        using (var json = new Utf8JsonWriter(buffer, s_options))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", message);
            json.WriteString("type", type);
            if (code is null)
            {
                json.WriteNull("code");
            }
            else
            {
                json.WriteString("code", code);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a complete JSON response (Content-Length framed) unless the response has already started.</summary>
    public static ValueTask WriteAsync(HttpResponse response, int status, string message, string type, string? code, CancellationToken cancellationToken) =>
        WriteJsonAsync(response, status, Create(message, type, code), cancellationToken);

    public static async ValueTask WriteJsonAsync(HttpResponse response, int status, byte[] json, CancellationToken cancellationToken)
    {
        response.Headers.Clear();
        response.Headers.Add(new("Content-Type", "application/json"));
        response.Start(status, json.Length);
        response.Write(json);
        await response.CompleteAsync(cancellationToken);
    }

    public static string TypeFor(int status) => status switch
    {
        408 or 504 => "timeout_error",
        413 => "request_too_large",
        502 or 503 => "upstream_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };
}
