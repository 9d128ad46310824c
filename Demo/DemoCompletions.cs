using System.Text.Json;
using CotProxy.Http.Server;

namespace CotProxy.Demo;

/// <summary>
/// The legacy <c>/v1/completions</c> of the demo models, in OpenAI's <c>text_completion</c> shape
/// (Fixtures/openai__gpt-3.5-turbo-instruct_legacy_completions_stream_events_jsonl.txt): the prompt is the user's words,
/// a tag model's thought is in the text. The API has no reasoning field, so a separated model writes only its answer.
/// </summary>
internal static class DemoCompletions
{
    public static async Task CompleteAsync(HttpContext context, DemoRequest request)
    {
        var output = DemoModel.Write(DemoModel.Find(request.Model), request);
        var id = DemoWire.NewId("cmpl-demo");
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var pieces = output.Pieces.Where(p => !p.Reasoning).ToList();
        var finish = ChatCompletionJson.FinishReason(output.Finish);
        if (!request.Stream)
        {
            await DemoWire.PaceAsync(request, pieces.Count, context.Aborted);
            var json = Document(id, created, request.Model, output.Content ?? "", finish, usage: pieces.Count);
            await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, json, context.Aborted);
            return;
        }

        var response = context.Response;
        DemoWire.StartEventStream(response);
        for (var i = 0; i < pieces.Count; i++)
        {
            await DemoWire.PaceAsync(request, 1, context.Aborted);
            var last = i == pieces.Count - 1;
            await DemoWire.WriteEventAsync(response, null, Document(id, created, request.Model, pieces[i].Text, last ? finish : null, usage: null), context.Aborted);
        }

        if (pieces.Count == 0)
        {
            await DemoWire.WriteEventAsync(response, null, Document(id, created, request.Model, "", finish, usage: null), context.Aborted);
        }

        if (request.IncludeUsage)
        {
            await DemoWire.WriteEventAsync(response, null, DemoWire.Json(w =>
            {
                WriteHead(w, id, created, request.Model);
                WriteUsage(w, pieces.Count);
                w.WriteStartArray("choices");
                w.WriteEndArray();
            }), context.Aborted);
        }

        response.Write(ChatCompletionJson.DoneUtf8);
        await response.CompleteAsync(context.Aborted);
    }

    private static byte[] Document(string id, long created, string model, string text, string? finishReason, int? usage) => DemoWire.Json(w =>
    {
        WriteHead(w, id, created, model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteNumber("index", 0);
        w.WriteNull("logprobs");
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
        if (usage is { } tokens)
        {
            WriteUsage(w, tokens);
        }
    });

    private static void WriteHead(Utf8JsonWriter w, string id, long created, string model)
    {
        w.WriteString("id", id);
        w.WriteString("object", "text_completion");
        w.WriteNumber("created", created);
        w.WriteString("model", model);
    }

    private static void WriteUsage(Utf8JsonWriter w, int completionTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", DemoWire.PromptTokens);
        w.WriteNumber("completion_tokens", completionTokens);
        w.WriteNumber("total_tokens", DemoWire.PromptTokens + completionTokens);
        w.WriteEndObject();
    }
}
