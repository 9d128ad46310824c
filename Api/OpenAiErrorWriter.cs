using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>Error bodies in the shape OpenAI clients parse: <c>{"error":{"message":…,"type":…,"code":…}}</c>.</summary>
internal sealed class OpenAiErrorWriter : IErrorResponseWriter
{
    public static readonly OpenAiErrorWriter Instance = new();

    private OpenAiErrorWriter()
    {
    }

    public static byte[] Create(string message, string type, string? code)
    {
        using var buffer = new PooledByteBuffer(256);
        using (var json = JsonOutput.CreateWriter(buffer))
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

    /// <summary>A complete error response; its type follows from the status (<see cref="TypeFor"/>).</summary>
    public static ValueTask WriteAsync(HttpResponse response, int status, string message, string? code, CancellationToken cancellationToken) =>
        response.WriteCompleteAsync(status, JsonOutput.ContentType, Create(message, TypeFor(status), code), cancellationToken);

    /// <summary>As the other WriteAsync, with one more header the status needs (Allow for 405, WWW-Authenticate for 401).</summary>
    public static ValueTask WriteAsync(HttpResponse response, int status, string message, string code, string headerName, string headerValue, CancellationToken cancellationToken)
    {
        var body = Create(message, TypeFor(status), code);
        response.Headers.Clear();
        response.Headers.Add(new(HeaderNames.ContentType, JsonOutput.ContentType));
        response.Headers.Add(new(headerName, headerValue));
        response.Start(status, body.Length);
        response.Write(body);
        return CompleteAsync(response, cancellationToken);
    }

    public ValueTask WriteErrorAsync(HttpResponse response, int status, string message, string? code, CancellationToken cancellationToken) =>
        WriteAsync(response, status, message, code, cancellationToken);

    /// <summary>OpenAI's error types: what an SDK maps to its exception classes.</summary>
    public static string TypeFor(int status) => status switch
    {
        408 or 504 => "timeout_error",
        413 => "request_too_large",
        502 or 503 => "upstream_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static async ValueTask CompleteAsync(HttpResponse response, CancellationToken cancellationToken) => await response.CompleteAsync(cancellationToken);
}
