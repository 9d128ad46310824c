using System.Text.Encodings.Web;
using System.Text.Json;
using CotProxy.Api;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Demo;

/// <summary>
/// An OpenAI-compatible fake reasoning model: <c>/v1/models</c> and <c>/v1/chat/completions</c>, streamed (SSE) or
/// whole, answering with a think block then an answer at a token pace the request can set.
/// </summary>
internal sealed class DemoHandler : IHttpHandler
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly long s_created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async ValueTask HandleAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.SequenceEqual("/v1/chat/completions") || path.SequenceEqual("/chat/completions"))
        {
            if (context.Request.Method != "POST")
            {
                await OpenAiError.WriteAsync(context.Response, 405, "Use POST for chat completions.", "invalid_request_error", "method_not_allowed", context.Aborted);
                return;
            }

            await CompleteChatAsync(context);
            return;
        }

        if (path.SequenceEqual("/v1/models") || path.SequenceEqual("/models"))
        {
            await OpenAiError.WriteJsonAsync(context.Response, 200, Json(w =>
            {
                w.WriteString("object", "list");
                w.WriteStartArray("data");
                w.WriteStartObject();
                w.WriteString("id", DemoModel.ModelId);
                w.WriteString("object", "model");
                w.WriteNumber("created", s_created);
                w.WriteString("owned_by", "cot-proxy-demo");
                w.WriteEndObject();
                w.WriteEndArray();
            }), context.Aborted);
            return;
        }

        if (path.SequenceEqual("/") || path.SequenceEqual("/v1") || path.SequenceEqual("/v1/"))
        {
            await OpenAiError.WriteJsonAsync(context.Response, 200, Json(w => w.WriteString("status", "cot-proxy demo model is running")), context.Aborted);
            return;
        }

        await OpenAiError.WriteAsync(context.Response, 404, $"The demo model has no endpoint {Log.SafeText(context.Request.Target, 100)}.", "invalid_request_error", "not_found", context.Aborted);
    }

    private static async Task CompleteChatAsync(HttpContext context)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        var request = DemoRequest.Parse(body.WrittenSpan);
        if (request is null)
        {
            await OpenAiError.WriteAsync(context.Response, 400, "The demo model expects a JSON object.", "invalid_request_error", "invalid_json", context.Aborted);
            return;
        }

        var tokens = DemoModel.Tokens(request.LastUserMessage);
        var finishReason = "stop";
        if (request.MaxTokens is { } max && max < tokens.Count)
        {
            tokens.RemoveRange(max, tokens.Count - max);
            finishReason = "length";
        }

        var id = "chatcmpl-demo" + Environment.TickCount64.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (request.Stream)
        {
            await StreamAsync(context, request, tokens, id, finishReason);
            return;
        }

        if (request.TokenDelayMs > 0)
        {
            await Task.Delay(request.TokenDelayMs * tokens.Count, context.Aborted);
        }

        var json = Json(w =>
        {
            WriteEnvelope(w, id, "chat.completion", request.Model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", string.Concat(tokens));
            w.WriteEndObject();
            w.WriteString("finish_reason", finishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            WriteUsage(w, tokens.Count);
        });
        await OpenAiError.WriteJsonAsync(context.Response, 200, json, context.Aborted);
    }

    private static async Task StreamAsync(HttpContext context, DemoRequest request, List<string> tokens, string id, string finishReason)
    {
        var response = context.Response;
        response.Headers.Add(new("Content-Type", "text/event-stream"));
        response.Headers.Add(new("Cache-Control", "no-cache"));
        response.Start(200, contentLength: null);

        await WriteEventAsync(response, Chunk(id, request.Model, role: true, content: null, finishReason: null), context.Aborted);
        foreach (var token in tokens)
        {
            if (request.TokenDelayMs > 0)
            {
                await Task.Delay(request.TokenDelayMs, context.Aborted);
            }

            await WriteEventAsync(response, Chunk(id, request.Model, role: false, content: token, finishReason: null), context.Aborted);
        }

        await WriteEventAsync(response, Chunk(id, request.Model, role: false, content: null, finishReason: finishReason), context.Aborted);
        if (request.IncludeUsage)
        {
            await WriteEventAsync(response, Json(w =>
            {
                WriteEnvelope(w, id, "chat.completion.chunk", request.Model);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, tokens.Count);
            }), context.Aborted);
        }

        response.Write("data: [DONE]\n\n"u8);
        await response.CompleteAsync(context.Aborted);
    }

    private static byte[] Chunk(string id, string model, bool role, string? content, string? finishReason) => Json(w =>
    {
        WriteEnvelope(w, id, "chat.completion.chunk", model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role)
        {
            w.WriteString("role", "assistant");
            w.WriteString("content", "");
        }

        if (content is not null)
        {
            w.WriteString("content", content);
        }

        w.WriteEndObject();
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static ValueTask<System.IO.Pipelines.FlushResult> WriteEventAsync(HttpResponse response, byte[] json, CancellationToken cancellationToken)
    {
        // One SSE event per chunk, flushed at once (WHATWG HTML §9.2: "data:" line, blank line ends the event).
        response.Write("data: "u8);
        response.Write(json);
        return response.WriteAsync("\n\n"u8, cancellationToken);
    }

    private static void WriteEnvelope(Utf8JsonWriter w, string id, string kind, string model)
    {
        w.WriteString("id", id);
        w.WriteString("object", kind);
        w.WriteNumber("created", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        w.WriteString("model", model);
    }

    private static void WriteUsage(Utf8JsonWriter w, int completionTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", 12);
        w.WriteNumber("completion_tokens", completionTokens);
        w.WriteNumber("total_tokens", 12 + completionTokens);
        w.WriteEndObject();
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new PooledByteBuffer(512);
        using (var writer = new Utf8JsonWriter(buffer, s_json))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
