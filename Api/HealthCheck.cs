using System.Text.Encodings.Web;
using System.Text.Json;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary><c>GET /health</c>: asks the target base URL and reports whether it answers (any status below 500 counts).</summary>
internal sealed class HealthCheck
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderOptions _options;

    public HealthCheck(HttpMessageInvoker invoker, ForwarderOptions options)
    {
        _invoker = invoker;
        _options = options;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var target = _options.TargetBaseUrl;
        string? error = null;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.Aborted))
        {
            timeout.CancelAfter(_options.HealthTimeout);
            try
            {
                using var probe = new HttpRequestMessage(HttpMethod.Get, target);
                using var answer = await _invoker.SendAsync(probe, timeout.Token);
                if ((int)answer.StatusCode >= 500)
                {
                    error = $"The target answered {(int)answer.StatusCode}.";
                }
            }
            catch (Exception ex) when (!context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
            {
                error = timeout.IsCancellationRequested
                    ? $"The target did not answer within {_options.HealthTimeout.TotalSeconds:0.#} s."
                    : UpstreamFailure.Describe(ex, target, _options, headersTimedOut: false).Message;
            }
        }

        using var buffer = new PooledByteBuffer(256);
        using (var json = new Utf8JsonWriter(buffer, s_json))
        {
            json.WriteStartObject();
            json.WriteString("status", error is null ? "healthy" : "unhealthy");
            json.WriteString("target_url", target.ToString());
            if (error is not null)
            {
                json.WriteString("error", error);
            }

            json.WriteEndObject();
        }

        await OpenAiError.WriteJsonAsync(context.Response, error is null ? 200 : 503, buffer.WrittenSpan.ToArray(), context.Aborted);
    }
}
