using System.Text.Json;
using CotProxy.Http.Server;

namespace CotProxy.Demo;

/// <summary>
/// <c>/v1/responses</c> of the demo models, in OpenAI's Responses API shape. A separated model's thought is a reasoning
/// item first, its text streamed as <c>response.reasoning_text.delta</c> events as vLLM and OpenRouter send them
/// (tests/CotProxy.Tests/Fixtures/openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt); a tag
/// model's thought is inline in the message's <c>output_text</c>. Then a message item, or a function_call item. Streams
/// name every event (<c>event:</c> line) and number it (<c>sequence_number</c>), as OpenAI does
/// (Fixtures/openai__o3-mini_responses_api_stream_reasoning_summary_and_output_text.txt), with no <c>[DONE]</c>.
/// </summary>
internal sealed class DemoResponses
{
    private readonly HttpContext _context;
    private readonly DemoRequest _request;
    private readonly DemoOutput _output;
    private readonly string _id;
    private readonly string _suffix;
    private readonly long _createdAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private int _sequence;

    private DemoResponses(HttpContext context, DemoRequest request)
    {
        _context = context;
        _request = request;
        _output = DemoModel.Write(DemoModel.Find(request.Model), request);
        _id = DemoWire.NewId("resp_demo");
        _suffix = _id["resp_demo".Length..];
    }

    private string ReasoningId => "rs_demo" + _suffix;

    private string MessageId => "msg_demo" + _suffix;

    private string CallItemId => "fc_demo" + _suffix;

    private bool HasReasoning => _output.Reasoning is not null;

    private bool HasMessage => _output.Content is not null;

    private int MessageIndex => HasReasoning ? 1 : 0;

    private int CallIndex => MessageIndex + (HasMessage ? 1 : 0);

    public static async Task RespondAsync(HttpContext context, DemoRequest request)
    {
        var responses = new DemoResponses(context, request);
        if (request.Stream)
        {
            await responses.StreamAsync();
            return;
        }

        await DemoWire.PaceAsync(request, responses._output.Pieces.Count, context.Aborted);
        var json = DemoWire.Json(w => responses.WriteResponseFields(w, done: true));
        await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, json, context.Aborted);
    }

    private async Task StreamAsync()
    {
        DemoWire.StartEventStream(_context.Response);
        await EventAsync("response.created", w => WriteResponseProperty(w, done: false));
        await EventAsync("response.in_progress", w => WriteResponseProperty(w, done: false));
        if (HasReasoning)
        {
            await StreamTextItemAsync(0, ReasoningId, reasoning: true);
        }

        if (HasMessage)
        {
            await StreamTextItemAsync(MessageIndex, MessageId, reasoning: false);
        }

        if (_output.ToolCall is { } call)
        {
            await DemoWire.PaceAsync(_request, 1, _context.Aborted);
            await EventAsync("response.output_item.added", w =>
            {
                w.WriteNumber("output_index", CallIndex);
                w.WritePropertyName("item");
                WriteCallItem(w, call, done: false);
            });
            foreach (var fragment in call.ArgumentFragments())
            {
                await EventAsync("response.function_call_arguments.delta", w =>
                {
                    w.WriteString("item_id", CallItemId);
                    w.WriteNumber("output_index", CallIndex);
                    w.WriteString("delta", fragment);
                });
            }

            await EventAsync("response.function_call_arguments.done", w =>
            {
                w.WriteString("item_id", CallItemId);
                w.WriteNumber("output_index", CallIndex);
                w.WriteString("arguments", call.Arguments);
            });
            await EventAsync("response.output_item.done", w =>
            {
                w.WriteNumber("output_index", CallIndex);
                w.WritePropertyName("item");
                WriteCallItem(w, call, done: true);
            });
        }

        // A response cut by max_output_tokens ends with response.incomplete, every other with response.completed.
        await EventAsync(_output.Finish == DemoFinish.Length ? "response.incomplete" : "response.completed", w => WriteResponseProperty(w, done: true));
        await _context.Response.CompleteAsync(_context.Aborted);
    }

    private async Task StreamTextItemAsync(int outputIndex, string itemId, bool reasoning)
    {
        var partType = reasoning ? "reasoning_text" : "output_text";
        var eventPrefix = reasoning ? "response.reasoning_text" : "response.output_text";
        await EventAsync("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            WriteTextItem(w, reasoning, done: false);
        });
        await EventAsync("response.content_part.added", w =>
        {
            WritePartPosition(w, itemId, outputIndex);
            w.WritePropertyName("part");
            WritePart(w, partType, "");
        });
        foreach (var piece in _output.Pieces)
        {
            if (piece.Reasoning != reasoning)
            {
                continue;
            }

            await DemoWire.PaceAsync(_request, 1, _context.Aborted);
            await EventAsync(eventPrefix + ".delta", w =>
            {
                WritePartPosition(w, itemId, outputIndex);
                w.WriteString("delta", piece.Text);
                if (!reasoning)
                {
                    w.WriteStartArray("logprobs");
                    w.WriteEndArray();
                }
            });
        }

        var text = (reasoning ? _output.Reasoning : _output.Content)!;
        await EventAsync(eventPrefix + ".done", w =>
        {
            WritePartPosition(w, itemId, outputIndex);
            w.WriteString("text", text);
        });
        await EventAsync("response.content_part.done", w =>
        {
            WritePartPosition(w, itemId, outputIndex);
            w.WritePropertyName("part");
            WritePart(w, partType, text);
        });
        await EventAsync("response.output_item.done", w =>
        {
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            WriteTextItem(w, reasoning, done: true);
        });
    }

    private ValueTask<System.IO.Pipelines.FlushResult> EventAsync(string type, Action<Utf8JsonWriter> writeRest)
    {
        var sequence = _sequence++;
        var json = DemoWire.Json(w =>
        {
            w.WriteString("type", type);
            w.WriteNumber("sequence_number", sequence);
            writeRest(w);
        });
        return DemoWire.WriteEventAsync(_context.Response, type, json, _context.Aborted);
    }

    private void WriteResponseProperty(Utf8JsonWriter w, bool done)
    {
        w.WriteStartObject("response");
        WriteResponseFields(w, done);
        w.WriteEndObject();
    }

    private void WriteResponseFields(Utf8JsonWriter w, bool done)
    {
        w.WriteString("id", _id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", _createdAt);
        var incomplete = done && _output.Finish == DemoFinish.Length;
        w.WriteString("status", !done ? "in_progress" : incomplete ? "incomplete" : "completed");
        w.WriteNull("error");
        if (incomplete)
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", "max_output_tokens");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        w.WriteString("model", _request.Model);
        w.WriteStartArray("output");
        if (done)
        {
            if (HasReasoning)
            {
                WriteTextItem(w, reasoning: true, done: true);
            }

            if (HasMessage)
            {
                WriteTextItem(w, reasoning: false, done: true);
            }

            if (_output.ToolCall is { } call)
            {
                WriteCallItem(w, call, done: true);
            }
        }

        w.WriteEndArray();
        if (!done)
        {
            w.WriteNull("usage");
            return;
        }

        var outputTokens = _output.Pieces.Count + (_output.ToolCall is null ? 0 : 1);
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", DemoWire.PromptTokens);
        w.WriteStartObject("input_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", outputTokens);
        w.WriteStartObject("output_tokens_details");
        w.WriteNumber("reasoning_tokens", _output.ReasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens", DemoWire.PromptTokens + outputTokens);
        w.WriteEndObject();
    }

    private void WriteTextItem(Utf8JsonWriter w, bool reasoning, bool done)
    {
        w.WriteStartObject();
        if (reasoning)
        {
            // A reasoning item with its text in content (vLLM, OpenRouter), no summary.
            w.WriteString("id", ReasoningId);
            w.WriteString("type", "reasoning");
            w.WriteStartArray("summary");
            w.WriteEndArray();
            w.WriteStartArray("content");
            if (done)
            {
                WritePart(w, "reasoning_text", _output.Reasoning!);
            }

            w.WriteEndArray();
        }
        else
        {
            w.WriteString("id", MessageId);
            w.WriteString("type", "message");
            w.WriteString("status", done ? "completed" : "in_progress");
            w.WriteString("role", "assistant");
            w.WriteStartArray("content");
            if (done)
            {
                WritePart(w, "output_text", _output.Content!);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private void WriteCallItem(Utf8JsonWriter w, DemoToolCall call, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", CallItemId);
        w.WriteString("type", "function_call");
        w.WriteString("status", done ? "completed" : "in_progress");
        w.WriteString("call_id", call.Id);
        w.WriteString("name", call.Name);
        w.WriteString("arguments", done ? call.Arguments : "");
        w.WriteEndObject();
    }

    private static void WritePart(Utf8JsonWriter w, string type, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("text", text);
        if (type == "output_text")
        {
            w.WriteStartArray("annotations");
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void WritePartPosition(Utf8JsonWriter w, string itemId, int outputIndex)
    {
        w.WriteString("item_id", itemId);
        w.WriteNumber("output_index", outputIndex);
        w.WriteNumber("content_index", 0);
    }
}
