using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// The thinking switch (<see cref="ThinkingSwitch"/>) in each server's own words. Built once; a request only picks one.
/// </summary>
/// <remarks>
/// | value | vllm, sglang | llamacpp | Ollama /api/chat, /api/generate | openai, Ollama /v1 |
/// |---|---|---|---|---|
/// | off | enable_thinking false | enable_thinking false | think false | reasoning_effort "none" |
/// | on | enable_thinking true | enable_thinking true | think true | reasoning_effort "medium" |
/// | low… | enable_thinking true, reasoning_effort | enable_thinking true, chat_template_kwargs.reasoning_effort | think "low"… | reasoning_effort "low"… |
/// </remarks>
internal static class ThinkingTranslation
{
    private const string EnableThinking = "chat_template_kwargs.enable_thinking";
    private const string KwargsEffort = "chat_template_kwargs.reasoning_effort";
    private const string Effort = "reasoning_effort";
    private const string Think = "think";

    private static readonly ThinkingFields[] s_templateKwargs = Build(Dialect.TemplateKwargs);
    private static readonly ThinkingFields[] s_llamaCpp = Build(Dialect.LlamaCpp);
    private static readonly ThinkingFields[] s_ollamaNative = Build(Dialect.OllamaNative);
    private static readonly ThinkingFields[] s_reasoningEffort = Build(Dialect.ReasoningEffort);

    private enum Dialect
    {
        TemplateKwargs,
        LlamaCpp,
        OllamaNative,
        ReasoningEffort,
    }

    /// <summary>Every field the switch may write, for the paths the request scan looks at.</summary>
    public static IReadOnlyList<string> AllKeys { get; } = [EnableThinking, KwargsEffort, Effort, Think];

    /// <summary>Whether the spelling on <paramref name="path"/> depends on the server's kind (chat completions; Ollama's own API does not).</summary>
    public static bool NeedsServerKind(ReadOnlySpan<char> path) => path.EndsWith("/chat/completions");

    /// <summary>
    /// How <paramref name="value"/> is sent to a <paramref name="kind"/> server on the endpoint <paramref name="path"/>;
    /// null for an endpoint without a thinking field (embeddings, legacy completions, the Responses API).
    /// </summary>
    public static ThinkingFields? For(ThinkingSwitch value, ServerKind kind, ReadOnlySpan<char> path)
    {
        // Ollama's native API takes think: true/false, or "low"/"medium"/"high" for gpt-oss (ollama api/types.go,
        // ThinkValue); the path says it is that API whatever the server kind.
        if (path.EndsWith("/api/chat") || path.EndsWith("/api/generate"))
        {
            return s_ollamaNative[(int)value];
        }

        if (!path.EndsWith("/chat/completions"))
        {
            return null;
        }

        return (kind switch
        {
            ServerKind.Vllm or ServerKind.SGLang => s_templateKwargs,
            ServerKind.LlamaCpp => s_llamaCpp,
            _ => s_reasoningEffort,
        })[(int)value];
    }

    private static ThinkingFields[] Build(Dialect dialect)
    {
        var all = new ThinkingFields[5];
        foreach (ThinkingSwitch value in Enum.GetValues<ThinkingSwitch>())
        {
            all[(int)value] = Translate(dialect, value);
        }

        return all;
    }

    private static ThinkingFields Translate(Dialect dialect, ThinkingSwitch value)
    {
        bool thinks = value != ThinkingSwitch.Off;
        string? effort = value is ThinkingSwitch.Low or ThinkingSwitch.Medium or ThinkingSwitch.High ? ThinkingNames.Name(value) : null;
        switch (dialect)
        {
            case Dialect.TemplateKwargs:
                // vLLM and SGLang pass chat_template_kwargs to the chat template, where Qwen3's and DeepSeek's read
                // enable_thinking; both take reasoning_effort at the top (vllm entrypoints/openai/chat_completion/protocol.py
                // and sglang srt/entrypoints/openai/protocol.py, ChatCompletionRequest), which gpt-oss's template reads.
                return effort is null
                    ? new(value, "chat_template_kwargs.enable_thinking", [Set(EnableThinking, thinks)], [Remove(Effort)])
                    : new(value, "chat_template_kwargs.enable_thinking and reasoning_effort", [Set(EnableThinking, true), Set(Effort, effort)], []);
            case Dialect.LlamaCpp:
                // llama.cpp's server hands chat_template_kwargs to the Jinja template (ggml-org/llama.cpp#13196); its
                // top-level reasoning_effort other than "none" was dropped before build b10453, so the effort goes in
                // the kwargs, where gpt-oss's template reads it on every build.
                return effort is null
                    ? new(value, "chat_template_kwargs.enable_thinking", [Set(EnableThinking, thinks)], [Remove(KwargsEffort)])
                    : new(value, "chat_template_kwargs.enable_thinking and .reasoning_effort", [Set(EnableThinking, true), Set(KwargsEffort, effort)], []);
            case Dialect.OllamaNative:
                return new(value, "think", [effort is null ? Set(Think, thinks) : Set(Think, effort)], []);
            default:
                // OpenAI's reasoning_effort: "none" turns reasoning off (gpt-5.1 and later); Ollama's /v1 takes "none" as
                // think=false and low/medium/high as they are (ollama openai/openai.go, FromChatRequest). "on" asks for
                // medium, OpenAI's documented default effort.
                return new(value, "reasoning_effort", [Set(Effort, effort ?? (thinks ? "medium" : "none"))], []);
        }
    }

    private static ProfileEntry Set(string key, bool value) => new(key, ProfileEntryKind.Override, JsonValue.Create(value), "boolean");

    private static ProfileEntry Set(string key, string value) => new(key, ProfileEntryKind.Override, JsonValue.Create(value), "string");

    private static ProfileEntry Remove(string key) => new(key, ProfileEntryKind.Remove, null, string.Empty);
}
