using System.Text.Json;

namespace CotProxy.Demo;

/// <summary>
/// OpenAI chat-completion JSON as llama.cpp and vLLM send it (non-ASCII as raw UTF-8): streamed chunks, the usage chunk
/// and whole completions. The demo model answers with it; the tests and benchmarks build their upstream streams with it.
/// </summary>
internal static class ChatCompletionJson
{
    /// <summary>The event that ends an OpenAI stream.</summary>
    public const string Done = "data: [DONE]\n\n";

    public static ReadOnlySpan<byte> DoneUtf8 => "data: [DONE]\n\n"u8;

    public static byte[] Chunk(ChatEnvelope envelope, ChunkChoice choice) => Chunk(envelope, [choice]);

    public static byte[] Chunk(ChatEnvelope envelope, ReadOnlySpan<ChunkChoice> choices)
    {
        var copy = choices.ToArray();
        return Document(envelope, "chat.completion.chunk", w =>
        {
            w.WriteStartArray("choices");
            foreach (var choice in copy)
            {
                w.WriteStartObject();
                w.WriteNumber("index", choice.Index);
                w.WriteStartObject("delta");
                if (choice.Role)
                {
                    w.WriteString("role", "assistant");
                }

                if (choice.Content is not null)
                {
                    w.WriteString("content", choice.Content);
                }

                if (choice.Reasoning is not null)
                {
                    w.WriteString(choice.ReasoningField ?? DemoModel.ReasoningContentField, choice.Reasoning);
                }

                if (choice.ToolCall is { } call)
                {
                    WriteToolCallDelta(w, call);
                }

                w.WriteEndObject();
                WriteFinishReason(w, choice.FinishReason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    /// <summary>The last chunk of a stream asked for with <c>stream_options.include_usage</c>: no choices, the token counts.</summary>
    public static byte[] UsageChunk(ChatEnvelope envelope, int promptTokens, int completionTokens) => Document(envelope, "chat.completion.chunk", w =>
    {
        w.WriteStartArray("choices");
        w.WriteEndArray();
        WriteUsage(w, promptTokens, completionTokens);
    });

    /// <summary>A whole (non-streamed) completion with one choice.</summary>
    public static byte[] Completion(ChatEnvelope envelope, string content, string finishReason, int promptTokens, int completionTokens) => Document(envelope, "chat.completion", w =>
    {
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        w.WriteString("content", content);
        w.WriteEndObject();
        WriteFinishReason(w, finishReason);
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, promptTokens, completionTokens);
    });

    /// <summary>
    /// A whole completion of the demo's <paramref name="output"/>: the answer in <c>content</c> (null beside a tool call
    /// without text, as OpenAI sends it), a separated thought in <paramref name="reasoningField"/>, the tool call in
    /// <c>tool_calls</c>.
    /// </summary>
    public static byte[] Completion(ChatEnvelope envelope, DemoOutput output, string reasoningField, int promptTokens) => Document(envelope, "chat.completion", w =>
    {
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        if (output.Content is { } content)
        {
            w.WriteString("content", content);
        }
        else
        {
            w.WriteNull("content");
        }

        if (output.Reasoning is { } reasoning)
        {
            w.WriteString(reasoningField, reasoning);
        }

        if (output.ToolCall is { } call)
        {
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteString("id", call.Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", call.Arguments);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }

        w.WriteEndObject();
        WriteFinishReason(w, FinishReason(output.Finish));
        w.WriteEndObject();
        w.WriteEndArray();
        WriteUsage(w, promptTokens, output.Pieces.Count + (output.ToolCall is null ? 0 : 1));
    });

    /// <summary>The chat-completion <c>finish_reason</c> for why the demo stopped.</summary>
    public static string FinishReason(DemoFinish finish) => finish switch
    {
        DemoFinish.Length => "length",
        DemoFinish.ToolCall => "tool_calls",
        _ => "stop",
    };

    /// <summary>One server-sent event carrying <paramref name="json"/> (WHATWG HTML §9.2: a "data:" line, a blank line ends the event).</summary>
    public static byte[] SseEvent(ReadOnlySpan<byte> json) => [.. "data: "u8, .. json, .. "\n\n"u8];

    // Not on the proxy's path: the demo, the tests and the benchmark set-up build documents this way, so a closure is fine.
    private static byte[] Document(ChatEnvelope envelope, string kind, Action<Utf8JsonWriter> writeRest)
    {
        using var buffer = new PooledByteBuffer(512);
        using (var w = JsonOutput.CreateWriter(buffer))
        {
            w.WriteStartObject();
            WriteEnvelope(w, envelope, kind);
            writeRest(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteEnvelope(Utf8JsonWriter w, ChatEnvelope envelope, string kind)
    {
        w.WriteString("id", envelope.Id);
        w.WriteString("object", kind);
        if (envelope.Created is { } created)
        {
            w.WriteNumber("created", created);
        }

        w.WriteString("model", envelope.Model);
        if (envelope.SystemFingerprint is { } fingerprint)
        {
            w.WriteString("system_fingerprint", fingerprint);
        }
    }

    private static void WriteToolCallDelta(Utf8JsonWriter w, ChunkToolCall call)
    {
        // As OpenAI streams a call (tests/CotProxy.Tests/Fixtures/openai__gpt-4o_stream_parallel_tool_calls.txt): index,
        // id, type and name once with empty arguments, then argument fragments under the same index.
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", call.Index);
        if (call.Id is not null)
        {
            w.WriteString("id", call.Id);
            w.WriteString("type", "function");
        }

        w.WriteStartObject("function");
        if (call.Name is not null)
        {
            w.WriteString("name", call.Name);
        }

        w.WriteString("arguments", call.Arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteFinishReason(Utf8JsonWriter w, string? finishReason)
    {
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }
    }

    private static void WriteUsage(Utf8JsonWriter w, int promptTokens, int completionTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", promptTokens);
        w.WriteNumber("completion_tokens", completionTokens);
        w.WriteNumber("total_tokens", promptTokens + completionTokens);
        w.WriteEndObject();
    }
}
