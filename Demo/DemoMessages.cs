using System.Text.Json;
using CotProxy.Http.Server;

namespace CotProxy.Demo;

/// <summary>
/// <c>/v1/messages</c> of the demo models, in Anthropic's Messages API shape: content blocks with consecutive indices, a
/// separated model's thought first as a <c>thinking</c> block with its signature, then a <c>text</c> block (a tag model's
/// thought inline in it), or a <c>tool_use</c> block. Streams follow Anthropic's "Streaming Messages" documentation:
/// message_start, ping, per block content_block_start / content_block_delta... / content_block_stop, message_delta with
/// the stop reason, message_stop, each named by an <c>event:</c> line.
/// </summary>
internal sealed class DemoMessages
{
    // A thinking block's signature is opaque to clients; Anthropic sends it as one signature_delta before the block stops.
    private const string Signature = "ZGVtby1zaWduYXR1cmU=";

    private readonly HttpContext _context;
    private readonly DemoRequest _request;
    private readonly DemoOutput _output;
    private readonly string _id = DemoWire.NewId("msg_demo");

    private DemoMessages(HttpContext context, DemoRequest request)
    {
        _context = context;
        _request = request;
        _output = DemoModel.Write(DemoModel.Find(request.Model), request);
    }

    private string StopReason => _output.Finish switch
    {
        DemoFinish.Length => "max_tokens",
        DemoFinish.ToolCall => "tool_use",
        _ => "end_turn",
    };

    private int OutputTokens => _output.Pieces.Count + (_output.ToolCall is null ? 0 : 1);

    public static async Task RespondAsync(HttpContext context, DemoRequest request)
    {
        var messages = new DemoMessages(context, request);
        if (request.Stream)
        {
            await messages.StreamAsync();
            return;
        }

        await DemoWire.PaceAsync(request, messages._output.Pieces.Count, context.Aborted);
        var json = DemoWire.Json(messages.WriteMessage);
        await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, json, context.Aborted);
    }

    private async Task StreamAsync()
    {
        DemoWire.StartEventStream(_context.Response);
        await EventAsync("message_start", w =>
        {
            w.WriteStartObject("message");
            WriteMessageHead(w);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            WriteUsage(w, 1);
            w.WriteEndObject();
        });
        await EventAsync("ping", _ => { });

        var index = 0;
        if (_output.Reasoning is not null)
        {
            await StreamTextBlockAsync(index++, reasoning: true);
        }

        if (_output.Content is not null)
        {
            await StreamTextBlockAsync(index++, reasoning: false);
        }

        if (_output.ToolCall is { } call)
        {
            var block = index;
            await DemoWire.PaceAsync(_request, 1, _context.Aborted);
            await EventAsync("content_block_start", w =>
            {
                w.WriteNumber("index", block);
                w.WritePropertyName("content_block");
                WriteToolUse(w, call, withInput: false);
            });
            foreach (var fragment in call.ArgumentFragments())
            {
                await DeltaAsync(block, "input_json_delta", "partial_json", fragment);
            }

            await StopAsync(block);
        }

        await EventAsync("message_delta", w =>
        {
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", StopReason);
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("output_tokens", OutputTokens);
            w.WriteEndObject();
        });
        await EventAsync("message_stop", _ => { });
        await _context.Response.CompleteAsync(_context.Aborted);
    }

    private async Task StreamTextBlockAsync(int index, bool reasoning)
    {
        await EventAsync("content_block_start", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("content_block");
            if (reasoning)
            {
                w.WriteString("type", "thinking");
                w.WriteString("thinking", "");
                w.WriteString("signature", "");
            }
            else
            {
                w.WriteString("type", "text");
                w.WriteString("text", "");
            }

            w.WriteEndObject();
        });
        foreach (var piece in _output.Pieces)
        {
            if (piece.Reasoning == reasoning)
            {
                await DemoWire.PaceAsync(_request, 1, _context.Aborted);
                await (reasoning ? DeltaAsync(index, "thinking_delta", "thinking", piece.Text) : DeltaAsync(index, "text_delta", "text", piece.Text));
            }
        }

        if (reasoning)
        {
            await DeltaAsync(index, "signature_delta", "signature", Signature);
        }

        await StopAsync(index);
    }

    private ValueTask<System.IO.Pipelines.FlushResult> DeltaAsync(int index, string type, string field, string value) =>
        EventAsync("content_block_delta", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            w.WriteString("type", type);
            w.WriteString(field, value);
            w.WriteEndObject();
        });

    private ValueTask<System.IO.Pipelines.FlushResult> StopAsync(int index) => EventAsync("content_block_stop", w => w.WriteNumber("index", index));

    private ValueTask<System.IO.Pipelines.FlushResult> EventAsync(string type, Action<Utf8JsonWriter> writeRest)
    {
        var json = DemoWire.Json(w =>
        {
            w.WriteString("type", type);
            writeRest(w);
        });
        return DemoWire.WriteEventAsync(_context.Response, type, json, _context.Aborted);
    }

    private void WriteMessage(Utf8JsonWriter w)
    {
        WriteMessageHead(w);
        w.WriteStartArray("content");
        if (_output.Reasoning is { } reasoning)
        {
            w.WriteStartObject();
            w.WriteString("type", "thinking");
            w.WriteString("thinking", reasoning);
            w.WriteString("signature", Signature);
            w.WriteEndObject();
        }

        if (_output.Content is { } content)
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", content);
            w.WriteEndObject();
        }

        if (_output.ToolCall is { } call)
        {
            WriteToolUse(w, call, withInput: true);
        }

        w.WriteEndArray();
        w.WriteString("stop_reason", StopReason);
        w.WriteNull("stop_sequence");
        WriteUsage(w, OutputTokens);
    }

    private void WriteMessageHead(Utf8JsonWriter w)
    {
        w.WriteString("id", _id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", _request.Model);
    }

    private static void WriteToolUse(Utf8JsonWriter w, DemoToolCall call, bool withInput)
    {
        w.WriteStartObject();
        w.WriteString("type", "tool_use");
        w.WriteString("id", "toolu_" + call.Id["call_".Length..]);
        w.WriteString("name", call.Name);
        w.WritePropertyName("input");
        if (withInput)
        {
            // The arguments are a JSON object the demo wrote itself.
            w.WriteRawValue(call.Arguments);
        }
        else
        {
            // Streamed, the input starts empty and arrives as input_json_delta fragments.
            w.WriteStartObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, int outputTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", DemoWire.PromptTokens);
        w.WriteNumber("output_tokens", outputTokens);
        w.WriteEndObject();
    }
}
