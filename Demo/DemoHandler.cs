using CotProxy.Api;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Demo;

/// <summary>
/// Fake reasoning models behind the APIs a proxy client speaks: <c>/v1/models</c>, <c>/v1/chat/completions</c>, the
/// legacy <c>/v1/completions</c>, the
/// Responses API (<c>/v1/responses</c>), Anthropic's Messages API (<c>/v1/messages</c>) and Ollama's native
/// <c>/api/chat</c> and <c>/api/generate</c>, streamed (SSE, JSON lines) or whole. Each
/// model (<see cref="DemoModel.Models"/>) thinks in its own way, then answers or calls a tool, at a token pace the
/// request can set.
/// </summary>
internal sealed class DemoHandler : IHttpHandler
{
    private static readonly long s_created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public async ValueTask HandleAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.SequenceEqual("/v1/chat/completions") || path.SequenceEqual("/chat/completions"))
        {
            await PostAsync(context, "chat completions", DemoChat.CompleteAsync);
            return;
        }

        if (path.SequenceEqual("/v1/completions") || path.SequenceEqual("/completions"))
        {
            await PostAsync(context, "completions", DemoCompletions.CompleteAsync);
            return;
        }

        if (path.SequenceEqual("/v1/responses") || path.SequenceEqual("/responses"))
        {
            await PostAsync(context, "responses", DemoResponses.RespondAsync);
            return;
        }

        if (path.SequenceEqual("/v1/messages") || path.SequenceEqual("/messages"))
        {
            await PostAsync(context, "messages", DemoMessages.RespondAsync);
            return;
        }

        if (path.SequenceEqual("/api/chat"))
        {
            await PostAsync(context, "chat", DemoOllama.ChatAsync);
            return;
        }

        if (path.SequenceEqual("/api/generate"))
        {
            await PostAsync(context, "generate", DemoOllama.GenerateAsync);
            return;
        }

        if (path.SequenceEqual("/v1/models") || path.SequenceEqual("/models"))
        {
            await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, DemoWire.Json(w =>
            {
                w.WriteString("object", "list");
                w.WriteStartArray("data");
                foreach (var model in DemoModel.Models)
                {
                    w.WriteStartObject();
                    w.WriteString("id", model.Id);
                    w.WriteString("object", "model");
                    w.WriteNumber("created", s_created);
                    w.WriteString("owned_by", "cot-proxy-demo");
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }), context.Aborted);
            return;
        }

        if (path.SequenceEqual("/") || path.SequenceEqual("/v1") || path.SequenceEqual("/v1/"))
        {
            await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, DemoWire.Json(w => w.WriteString("status", "cot-proxy demo model is running")), context.Aborted);
            return;
        }

        await OpenAiErrorWriter.WriteAsync(context.Response, 404, $"The demo model has no endpoint {Log.SafeText(context.Request.Target, 100)}.", "not_found", context.Aborted);
    }

    private static async Task PostAsync(HttpContext context, string what, Func<HttpContext, DemoRequest, Task> answer)
    {
        if (context.Request.Method != "POST")
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 405, $"Use POST for {what}.", "method_not_allowed", context.Aborted);
            return;
        }

        using var body = await context.Body.ReadAllAsync(context.Aborted);
        var request = DemoRequest.Parse(body.WrittenSpan);
        if (request is null)
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 400, "The demo model expects a JSON object.", "invalid_json", context.Aborted);
            return;
        }

        if (request.Error is { } error)
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 400, error, "invalid_request", context.Aborted);
            return;
        }

        await answer(context, request);
    }
}
