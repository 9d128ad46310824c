using CotProxy.Http.Server;

namespace CotProxy.Demo;

/// <summary>
/// <c>/v1/chat/completions</c> of the demo models: streamed as OpenAI-compatible servers stream (a role chunk, one chunk
/// per token, tool-call deltas, the finish chunk, the usage chunk if asked, <c>[DONE]</c>) or whole.
/// </summary>
internal static class DemoChat
{
    public static async Task CompleteAsync(HttpContext context, DemoRequest request)
    {
        var flavor = DemoModel.Find(request.Model);
        var output = DemoModel.Write(flavor, request);
        var envelope = new ChatEnvelope(DemoWire.NewId("chatcmpl-demo"), request.Model, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        if (request.Stream)
        {
            await StreamAsync(context, request, output, envelope);
            return;
        }

        await DemoWire.PaceAsync(request, output.Pieces.Count, context.Aborted);
        var json = ChatCompletionJson.Completion(envelope, output, request.ReasoningField, DemoWire.PromptTokens);
        await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, json, context.Aborted);
    }

    private static async Task StreamAsync(HttpContext context, DemoRequest request, DemoOutput output, ChatEnvelope envelope)
    {
        var response = context.Response;
        var aborted = context.Aborted;
        DemoWire.StartEventStream(response);
        await WriteAsync(response, envelope, new ChunkChoice(0, Content: "", Role: true), aborted);
        foreach (var piece in output.Pieces)
        {
            await DemoWire.PaceAsync(request, 1, aborted);
            var choice = piece.Reasoning
                ? new ChunkChoice(0, Reasoning: piece.Text, ReasoningField: request.ReasoningField)
                : new ChunkChoice(0, Content: piece.Text);
            await WriteAsync(response, envelope, choice, aborted);
        }

        if (output.ToolCall is { } call)
        {
            await DemoWire.PaceAsync(request, 1, aborted);
            await WriteAsync(response, envelope, new ChunkChoice(0, ToolCall: new ChunkToolCall(0, call.Id, call.Name, "")), aborted);
            foreach (var fragment in call.ArgumentFragments())
            {
                await WriteAsync(response, envelope, new ChunkChoice(0, ToolCall: new ChunkToolCall(0, null, null, fragment)), aborted);
            }
        }

        await WriteAsync(response, envelope, new ChunkChoice(0, FinishReason: ChatCompletionJson.FinishReason(output.Finish)), aborted);
        if (request.IncludeUsage)
        {
            var completionTokens = output.Pieces.Count + (output.ToolCall is null ? 0 : 1);
            await DemoWire.WriteEventAsync(response, null, ChatCompletionJson.UsageChunk(envelope, DemoWire.PromptTokens, completionTokens), aborted);
        }

        response.Write(ChatCompletionJson.DoneUtf8);
        await response.CompleteAsync(aborted);
    }

    private static ValueTask<System.IO.Pipelines.FlushResult> WriteAsync(HttpResponse response, ChatEnvelope envelope, ChunkChoice choice, CancellationToken cancellationToken) =>
        DemoWire.WriteEventAsync(response, null, ChatCompletionJson.Chunk(envelope, choice), cancellationToken);
}
