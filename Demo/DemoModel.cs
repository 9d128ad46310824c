using System.Text;

namespace CotProxy.Demo;

/// <summary>
/// What the fake reasoning models "write": a thought, then an answer or one tool call, as a list of tokens. Each model
/// marks its thought its own way (<see cref="Models"/>): in one of the tag families the proxy's filter knows, or apart
/// from the answer.
/// </summary>
internal static class DemoModel
{
    public const string ModelId = "demo-reasoner";

    /// <summary>The model that sends its thought apart from the answer, as vLLM and llama.cpp do with a reasoning parser.</summary>
    public const string SeparatedModelId = "demo-separated";

    /// <summary>The chat-completion field llama.cpp, DeepSeek and vLLM before 0.10 put a separated thought in.</summary>
    public const string ReasoningContentField = "reasoning_content";

    /// <summary>vLLM's newer name for that field (and Ollama's OpenAI-compatible API's).</summary>
    public const string ReasoningField = "reasoning";

    // 20 ms per token is about 50 tokens/s, the pace of a mid-sized local model on a GPU.
    public const int DefaultTokenDelayMs = 20;

    private static long s_toolCalls;

    // The tags are the first spellings of each family in Filtering/ThinkTagFamily.cs (a test holds them equal).
    private static readonly DemoFlavor[] s_models =
    [
        new(ModelId, "<think>", ["</think>"], Newlines: true),
        new("demo-thinking", "<thinking>", ["</thinking>"], Newlines: true),
        new("demo-thought", "<thought>", ["</thought>"], Newlines: true),
        new("demo-reasoning", "<reasoning>", ["</reasoning>"], Newlines: true),
        new("demo-seed", "<seed:think>", ["</seed:think>"], Newlines: true),
        new("demo-mistral", "[THINK]", ["[/THINK]"], Newlines: true),
        // gpt-oss's raw Harmony channels as a server passes them through: the analysis message, its end, then the final
        // channel's header (vLLM's gptoss_reasoning_parser.py); no newlines between them.
        new("demo-harmony", "<|channel|>analysis<|message|>", ["<|end|>", "<|start|>assistant<|channel|>final<|message|>"], Newlines: false),
        new(SeparatedModelId, null, [], Newlines: false),
    ];

    /// <summary>Every demo model, as <c>/v1/models</c> lists them.</summary>
    public static IReadOnlyList<DemoFlavor> Models => s_models;

    /// <summary>The model called <paramref name="model"/>; any other name answers as <see cref="ModelId"/> (pseudo-models of profiles).</summary>
    public static DemoFlavor Find(string? model)
    {
        foreach (var flavor in s_models)
        {
            if (flavor.Id == model)
            {
                return flavor;
            }
        }

        return s_models[0];
    }

    /// <summary>The tokens <see cref="ModelId"/> writes for a plain chat turn: a think block, then the answer.</summary>
    public static List<string> Tokens(string? userMessage) => [.. Write(s_models[0], userMessage).Pieces.Select(p => p.Text)];

    /// <summary>The answer after the thought, as <see cref="ModelId"/> writes it.</summary>
    public static string Answer(string? userMessage)
    {
        var tokens = Tokens(userMessage);
        var end = tokens.IndexOf("</think>");
        return string.Concat(tokens.Skip(end + 2));
    }

    /// <summary>The answer to a plain turn without a tool, in <paramref name="flavor"/>'s way.</summary>
    public static DemoOutput Write(DemoFlavor flavor, string? userMessage) => Write(flavor, DemoRequest.ForMessage(userMessage));

    /// <summary>
    /// The answer to <paramref name="request"/> in <paramref name="flavor"/>'s way: a thought, then one call of the first
    /// tool the request offers, or (without tools, or after a tool's result) an answer; cut at the request's token limit.
    /// </summary>
    public static DemoOutput Write(DemoFlavor flavor, DemoRequest request)
    {
        var message = request.LastUserMessage?.Trim() ?? "";

        // Qwen3's soft switch: a user turn ending in /no_think gets an empty think block, as the real template emits; so
        // does thinking turned off in the request (enable_thinking=false makes Qwen3's template write the empty block).
        var noThink = request.ThinkingOff;
        if (message.EndsWith("/no_think", StringComparison.Ordinal))
        {
            noThink = true;
            message = message[..^"/no_think".Length].TrimEnd();
        }

        var prompt = message.Length == 0 ? "(nothing)" : Shorten(message, 200);
        string thought;
        string? answer;
        DemoToolCall? toolCall = null;
        if (request.ToolResult is { } result)
        {
            var returned = result.Trim().Length == 0 ? "(nothing)" : Shorten(result.Trim(), 200);
            thought = $"The tool returned: \"{returned}\". I should tell the user.";
            answer = $"The tool returned: {returned}";
        }
        else if (request.ToolName is { } tool)
        {
            thought = $"The user wrote: \"{prompt}\". I should call {tool}.";
            answer = null;
            toolCall = new DemoToolCall(
                "call_demo" + Interlocked.Increment(ref s_toolCalls).ToString(System.Globalization.CultureInfo.InvariantCulture),
                tool,
                Arguments(request.ToolArgument, prompt));
        }
        else
        {
            thought = $"The user wrote: \"{prompt}\". I should answer briefly and helpfully.";
            answer = $"Hello! This is the cot-proxy demo model. You said: {prompt}";
        }

        var pieces = new List<DemoPiece>();
        if (flavor.Open is { } open)
        {
            pieces.Add(new(open));
            AddNewline(flavor, pieces);
            if (!noThink)
            {
                Split(thought, pieces, reasoning: false);
                AddNewline(flavor, pieces);
            }

            // Before a tool call only the thought's own end: Harmony's final-channel header opens an answer, and there is none.
            foreach (var close in answer is null ? flavor.Close.AsSpan(0, 1) : flavor.Close)
            {
                pieces.Add(new(close));
            }

            if (flavor.Newlines && answer is not null)
            {
                pieces.Add(new("\n\n"));
            }
        }
        else if (!noThink)
        {
            Split(thought, pieces, reasoning: true);
        }

        if (answer is not null)
        {
            Split(answer, pieces, reasoning: false);
        }

        if (request.MaxTokens is { } max && max < pieces.Count + (toolCall is null ? 0 : 1))
        {
            // The token limit ends the turn wherever it falls, before a tool call is complete (a real model's call is tokens too).
            pieces.RemoveRange(Math.Min(max, pieces.Count), pieces.Count - Math.Min(max, pieces.Count));
            return new DemoOutput(pieces, null, DemoFinish.Length);
        }

        return new DemoOutput(pieces, toolCall, toolCall is null ? DemoFinish.Stop : DemoFinish.ToolCall);
    }

    private static void AddNewline(DemoFlavor flavor, List<DemoPiece> pieces)
    {
        if (flavor.Newlines)
        {
            pieces.Add(new("\n"));
        }
    }

    private static string Arguments(string? property, string prompt)
    {
        using var buffer = new PooledByteBuffer(256);
        using (var w = JsonOutput.CreateWriter(buffer))
        {
            w.WriteStartObject();
            if (property is not null)
            {
                w.WriteString(property, prompt);
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Split(string text, List<DemoPiece> pieces, bool reasoning)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ' && i > start)
            {
                pieces.Add(new(text[start..i], reasoning));
                start = i;
            }
        }

        pieces.Add(new(text[start..], reasoning));
    }

    private static string Shorten(string text, int max)
    {
        var length = Math.Min(text.Length, max);
        if (length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            // Never cut between the halves of a surrogate pair: the half could not be written as UTF-8.
            length--;
        }

        var builder = new StringBuilder(length);
        foreach (var c in text.AsSpan(0, length))
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }
}
