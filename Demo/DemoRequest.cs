using System.Text.Json;

namespace CotProxy.Demo;

/// <summary>
/// The few fields of a request the demo model reads, from any of its APIs: chat completions (<c>messages</c>), the
/// Responses API (<c>input</c>) and Anthropic's Messages API (<c>messages</c> of content blocks).
/// </summary>
internal sealed class DemoRequest
{
    public string Model { get; private set; } = DemoModel.ModelId;

    /// <summary>Whether the request asked for a stream; OpenAI's and Anthropic's APIs stream only when asked.</summary>
    public bool Stream => StreamFlag == true;

    /// <summary>The request's <c>stream</c> as sent: null when absent (Ollama's native API then streams).</summary>
    public bool? StreamFlag { get; private set; }

    /// <summary>
    /// Thinking turned off in any server's words: <c>chat_template_kwargs.enable_thinking</c> false (vLLM, SGLang,
    /// llama.cpp), <c>think</c> false (Ollama), <c>reasoning_effort</c> or the Responses API's <c>reasoning.effort</c>
    /// "none" (OpenAI), Anthropic's <c>thinking</c> {"type":"disabled"}.
    /// </summary>
    public bool ThinkingOff { get; private set; }

    public bool IncludeUsage { get; private set; }

    public int? MaxTokens { get; private set; }

    public int TokenDelayMs { get; private set; } = DemoModel.DefaultTokenDelayMs;

    public string? LastUserMessage { get; private set; }

    /// <summary>The text of a tool result when it is the last turn (the demo then answers with it instead of calling again).</summary>
    public string? ToolResult { get; private set; }

    /// <summary>The first tool the request offers, unless <c>tool_choice</c> is <c>none</c>.</summary>
    public string? ToolName { get; private set; }

    /// <summary>The tool's first string parameter, which the demo fills with the user's words.</summary>
    public string? ToolArgument { get; private set; }

    /// <summary><c>demo_reasoning_field</c>: where a separated model puts its thought in chat completions.</summary>
    public string ReasoningField { get; private set; } = DemoModel.ReasoningContentField;

    /// <summary>Why the request cannot be answered, in our words; null when it can.</summary>
    public string? Error { get; private set; }

    /// <summary>A plain turn: the user's words and nothing else.</summary>
    public static DemoRequest ForMessage(string? userMessage) => new() { LastUserMessage = userMessage };

    public static DemoRequest? Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var request = new DemoRequest();
            if (root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
            {
                request.Model = model.GetString()!;
            }

            if (root.TryGetProperty("stream", out var stream) && stream.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                request.StreamFlag = stream.ValueKind == JsonValueKind.True;
            }

            request.ThinkingOff = IsThinkingOff(root);
            request.IncludeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;

            // max_tokens (chat completions, Anthropic), max_completion_tokens (OpenAI's newer name), max_output_tokens
            // (Responses API), options.num_predict (Ollama's native API).
            var ollamaOptions = root.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
            foreach (var (owner, name) in (ReadOnlySpan<(JsonElement, string)>)[(root, "max_tokens"), (root, "max_completion_tokens"), (root, "max_output_tokens"), (ollamaOptions, "num_predict")])
            {
                if (owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(name, out var max) && max.ValueKind == JsonValueKind.Number
                    && max.TryGetInt32(out var maxTokens) && maxTokens > 0)
                {
                    request.MaxTokens = maxTokens;
                }
            }

            if (root.TryGetProperty("demo_reasoning_field", out var field))
            {
                if (field.ValueKind == JsonValueKind.String && (field.ValueEquals(DemoModel.ReasoningContentField) || field.ValueEquals(DemoModel.ReasoningField)))
                {
                    request.ReasoningField = field.GetString()!;
                }
                else
                {
                    request.Error = $"demo_reasoning_field must be \"{DemoModel.ReasoningContentField}\" or \"{DemoModel.ReasoningField}\".";
                }
            }

            ReadTools(root, request);

            // A request may change the pace: 0 answers at once (tests, benchmarks), larger values mimic slow hardware.
            if (root.TryGetProperty("demo_token_delay_ms", out var delay) && delay.TryGetInt32(out var delayMs))
            {
                request.TokenDelayMs = Math.Clamp(delayMs, 0, 10_000);
            }

            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                ReadTurns(messages, request);
            }
            else if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String)
            {
                // Ollama's /api/generate.
                request.LastUserMessage = prompt.GetString();
            }
            else if (root.TryGetProperty("input", out var input))
            {
                // The Responses API takes a string, or a list of items: messages and function_call_output items.
                if (input.ValueKind == JsonValueKind.String)
                {
                    request.LastUserMessage = input.GetString();
                }
                else if (input.ValueKind == JsonValueKind.Array)
                {
                    ReadTurns(input, request);
                }
            }

            return request;
        }
    }

    private static void ReadTurns(JsonElement turns, DemoRequest request)
    {
        foreach (var turn in turns.EnumerateArray())
        {
            if (turn.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var content = turn.TryGetProperty("content", out var c) ? c : default;
            var role = turn.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r : default;
            if (role.ValueKind == JsonValueKind.String && role.ValueEquals("tool"u8))
            {
                // Chat completions: a tool's result is a message of role "tool".
                request.ToolResult = TextOf(content) ?? "";
            }
            else if (turn.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("function_call_output"u8))
            {
                // Responses API: the result is an input item of its own with an "output" string.
                request.ToolResult = turn.TryGetProperty("output", out var output) ? TextOf(output) ?? "" : "";
            }
            else if (role.ValueKind == JsonValueKind.String && role.ValueEquals("user"u8))
            {
                // Anthropic's Messages API: the result is a "tool_result" block in a user turn.
                request.ToolResult = ToolResultBlock(content);
                request.LastUserMessage = request.ToolResult is null ? TextOf(content) : request.LastUserMessage;
            }
            else if (role.ValueKind == JsonValueKind.String)
            {
                // An assistant (or system) turn after the tool result: the result is no longer the last word.
                request.ToolResult = role.ValueEquals("assistant"u8) ? null : request.ToolResult;
            }
        }
    }

    private static string? ToolResultBlock(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && type.ValueEquals("tool_result"u8))
            {
                return block.TryGetProperty("content", out var result) ? TextOf(result) ?? "" : "";
            }
        }

        return null;
    }

    private static bool IsThinkingOff(JsonElement root)
    {
        if (root.TryGetProperty("chat_template_kwargs", out var kwargs) && kwargs.ValueKind == JsonValueKind.Object
            && kwargs.TryGetProperty("enable_thinking", out var enable) && enable.ValueKind == JsonValueKind.False)
        {
            return true;
        }

        if (root.TryGetProperty("think", out var think) && think.ValueKind == JsonValueKind.False)
        {
            return true;
        }

        if (root.TryGetProperty("reasoning_effort", out var effort) && IsNone(effort))
        {
            return true;
        }

        if (root.TryGetProperty("reasoning", out var reasoning) && reasoning.ValueKind == JsonValueKind.Object
            && reasoning.TryGetProperty("effort", out var responsesEffort) && IsNone(responsesEffort))
        {
            return true;
        }

        return root.TryGetProperty("thinking", out var thinking) && thinking.ValueKind == JsonValueKind.Object
            && thinking.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("disabled"u8);
    }

    private static bool IsNone(JsonElement choice) => choice.ValueKind == JsonValueKind.String && choice.ValueEquals("none"u8);

    private static void ReadTools(JsonElement root, DemoRequest request)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        // "none" forbids a call: a string in OpenAI's APIs, {"type":"none"} in Anthropic's.
        if (root.TryGetProperty("tool_choice", out var choice)
            && IsNone(choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var kind) ? kind : choice))
        {
            return;
        }

        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            // Chat completions nest the function ({"type":"function","function":{name, parameters}}); the Responses API
            // flattens it ({"type":"function", name, parameters}); Anthropic names the schema input_schema.
            var function = tool.TryGetProperty("function", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : tool;
            if (!function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 } toolName)
            {
                continue;
            }

            request.ToolName = toolName;
            if ((function.TryGetProperty("parameters", out var schema) || function.TryGetProperty("input_schema", out schema))
                && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in properties.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                        && t.ValueEquals("string"u8))
                    {
                        request.ToolArgument = property.Name;
                        break;
                    }
                }
            }

            return;
        }
    }

    private static string? TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        // Content parts: {"type":"text"} (chat, Anthropic), {"type":"input_text"} (Responses API), each with a "text".
        string? text = null;
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                text = text is null ? t.GetString() : text + t.GetString();
            }
        }

        return text;
    }
}
