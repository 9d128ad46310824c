using System.Globalization;
using System.Text.Json;
using CotProxy.Http.Server;

namespace CotProxy.Demo;

/// <summary>
/// Ollama's native <c>/api/chat</c> and <c>/api/generate</c> of the demo models (ollama docs/api.md): JSON lines, one
/// object per token with <c>done:false</c>, then a <c>done:true</c> line with the stop reason and counts; streamed unless
/// the request says <c>"stream": false</c>. A separated model's thought is in <c>thinking</c> (Ollama's own field,
/// Fixtures/ollama-cloud-native__gpt-oss-120b_api_chat_ndjson_stream_thinking_field.txt); a tag model's is inline in the
/// text. A tool call comes whole, its arguments an object, in one line's <c>message.tool_calls</c>.
/// </summary>
internal sealed class DemoOllama
{
    private const string NdjsonContentType = "application/x-ndjson";

    private readonly HttpContext _context;
    private readonly DemoRequest _request;
    private readonly DemoOutput _output;
    private readonly bool _chat;

    private DemoOllama(HttpContext context, DemoRequest request, bool chat)
    {
        _context = context;
        _request = request;
        _chat = chat;
        _output = DemoModel.Write(DemoModel.Find(request.Model), request);
    }

    // Ollama streams unless told not to.
    private bool Streamed => _request.StreamFlag != false;

    public static Task ChatAsync(HttpContext context, DemoRequest request) => new DemoOllama(context, request, chat: true).RespondAsync();

    public static Task GenerateAsync(HttpContext context, DemoRequest request) => new DemoOllama(context, request, chat: false).RespondAsync();

    private async Task RespondAsync()
    {
        var aborted = _context.Aborted;
        if (!Streamed)
        {
            await DemoWire.PaceAsync(_request, _output.Pieces.Count, aborted);
            var whole = DemoWire.Json(w =>
            {
                WriteHead(w);
                WriteText(w, _output.Content ?? "", _output.Reasoning, withCall: true);
                WriteEnd(w);
            });
            await _context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, whole, aborted);
            return;
        }

        var response = _context.Response;
        response.Headers.Add(new("Content-Type", NdjsonContentType));
        response.Start(200, contentLength: null);
        foreach (var piece in _output.Pieces)
        {
            await DemoWire.PaceAsync(_request, 1, aborted);
            await LineAsync(w =>
            {
                WriteHead(w);
                WriteText(w, piece.Reasoning ? "" : piece.Text, piece.Reasoning ? piece.Text : null, withCall: false);
                w.WriteBoolean("done", false);
            });
        }

        if (_output.ToolCall is not null)
        {
            await DemoWire.PaceAsync(_request, 1, aborted);
            await LineAsync(w =>
            {
                WriteHead(w);
                WriteText(w, "", null, withCall: true);
                w.WriteBoolean("done", false);
            });
        }

        await LineAsync(w =>
        {
            WriteHead(w);
            WriteText(w, "", null, withCall: false);
            WriteEnd(w);
        });
        await response.CompleteAsync(aborted);
    }

    private ValueTask<System.IO.Pipelines.FlushResult> LineAsync(Action<Utf8JsonWriter> write)
    {
        // One JSON object per line, flushed at once, as Ollama streams.
        _context.Response.Write(DemoWire.Json(write));
        return _context.Response.WriteAsync("\n"u8, _context.Aborted);
    }

    private void WriteHead(Utf8JsonWriter w)
    {
        w.WriteString("model", _request.Model);
        w.WriteString("created_at", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
    }

    private void WriteText(Utf8JsonWriter w, string content, string? thinking, bool withCall)
    {
        if (!_chat)
        {
            // /api/generate: the text in "response", the thought in "thinking" beside it.
            w.WriteString("response", content);
            if (thinking is not null)
            {
                w.WriteString("thinking", thinking);
            }

            return;
        }

        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        w.WriteString("content", content);
        if (thinking is not null)
        {
            w.WriteString("thinking", thinking);
        }

        if (withCall && _output.ToolCall is { } call)
        {
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WritePropertyName("arguments");
            // Ollama sends the arguments as an object, not as a string of JSON; the demo wrote them itself.
            w.WriteRawValue(call.Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private void WriteEnd(Utf8JsonWriter w)
    {
        w.WriteBoolean("done", true);
        // Ollama says "length" when num_predict cut the answer, "stop" otherwise (a tool call included).
        w.WriteString("done_reason", _output.Finish == DemoFinish.Length ? "length" : "stop");
        w.WriteNumber("prompt_eval_count", DemoWire.PromptTokens);
        w.WriteNumber("eval_count", _output.Pieces.Count + (_output.ToolCall is null ? 0 : 1));
    }
}
