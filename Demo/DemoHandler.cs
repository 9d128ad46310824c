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
    // The demo has no tokenizer: every prompt counts as this many tokens.
    private const int PromptTokens = 12;

    private static readonly long s_created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async ValueTask HandleAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.SequenceEqual("/v1/chat/completions") || path.SequenceEqual("/chat/completions"))
        {
            if (context.Request.Method != "POST")
            {
                await OpenAiErrorWriter.WriteAsync(context.Response, 405, "Use POST for chat completions.", "method_not_allowed", context.Aborted);
                return;
            }

            await CompleteChatAsync(context);
            return;
        }

        if (path.SequenceEqual("/v1/models") || path.SequenceEqual("/models"))
        {
            await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, Json(w =>
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
            await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, Json(w => w.WriteString("status", "cot-proxy demo model is running")), context.Aborted);
            return;
        }

        await OpenAiErrorWriter.WriteAsync(context.Response, 404, $"The demo model has no endpoint {Log.SafeText(context.Request.Target, 100)}.", "not_found", context.Aborted);
    }

    private static async Task CompleteChatAsync(HttpContext context)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        var request = DemoRequest.Parse(body.WrittenSpan);
        if (request is null)
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 400, "The demo model expects a JSON object.", "invalid_json", context.Aborted);
            return;
        }

        var tokens = DemoModel.Tokens(request.LastUserMessage);
        var finishReason = "stop";
        if (request.MaxTokens is { } max && max < tokens.Count)
        {
            tokens.RemoveRange(max, tokens.Count - max);
            finishReason = "length";
        }

        var envelope = new ChatEnvelope(
            "chatcmpl-demo" + Environment.TickCount64.ToString(System.Globalization.CultureInfo.InvariantCulture),
            request.Model,
            DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        if (request.Stream)
        {
            await StreamAsync(context, request, tokens, envelope, finishReason);
            return;
        }

        if (request.TokenDelayMs > 0)
        {
            await Task.Delay(request.TokenDelayMs * tokens.Count, context.Aborted);
        }

        var json = ChatCompletionJson.Completion(envelope, string.Concat(tokens), finishReason, PromptTokens, tokens.Count);
        await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, json, context.Aborted);
    }

    private static async Task StreamAsync(HttpContext context, DemoRequest request, List<string> tokens, ChatEnvelope envelope, string finishReason)
    {
        var response = context.Response;
        response.Headers.Add(new("Content-Type", "text/event-stream"));
        response.Headers.Add(new("Cache-Control", "no-cache"));
        response.Start(200, contentLength: null);

        await WriteEventAsync(response, ChatCompletionJson.Chunk(envelope, new ChunkChoice(0, Content: "", Role: true)), context.Aborted);
        foreach (var token in tokens)
        {
            if (request.TokenDelayMs > 0)
            {
                await Task.Delay(request.TokenDelayMs, context.Aborted);
            }

            await WriteEventAsync(response, ChatCompletionJson.Chunk(envelope, new ChunkChoice(0, Content: token)), context.Aborted);
        }

        await WriteEventAsync(response, ChatCompletionJson.Chunk(envelope, new ChunkChoice(0, FinishReason: finishReason)), context.Aborted);
        if (request.IncludeUsage)
        {
            await WriteEventAsync(response, ChatCompletionJson.UsageChunk(envelope, PromptTokens, tokens.Count), context.Aborted);
        }

        response.Write(ChatCompletionJson.DoneUtf8);
        await response.CompleteAsync(context.Aborted);
    }

    private static ValueTask<System.IO.Pipelines.FlushResult> WriteEventAsync(HttpResponse response, byte[] json, CancellationToken cancellationToken)
    {
        // One SSE event per chunk, flushed at once (WHATWG HTML §9.2: "data:" line, blank line ends the event).
        response.Write("data: "u8);
        response.Write(json);
        return response.WriteAsync("\n\n"u8, cancellationToken);
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new PooledByteBuffer(512);
        using (var writer = JsonOutput.CreateWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
