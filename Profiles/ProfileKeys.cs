namespace CotProxy.Profiles;

/// <summary>The key names <c>LLM_PARAMS</c> gives a meaning of its own, and the original's type table.</summary>
internal static class ProfileKeys
{
    public const string Model = "model";
    public const string UpstreamModelName = "upstream_model_name";
    public const string AppendToLastUserMessage = "append_to_last_user_message";
    public const string EnableThinkTagFiltering = "enable_think_tag_filtering";
    public const string ThinkTagStart = "think_tag_start";
    public const string ThinkTagEnd = "think_tag_end";
    public const string ThinkMode = "think_mode";
    public const string ThinkStartsOpen = "think_starts_open";
    public const string ReasoningField = "reasoning_field";
    public const string Thinking = "thinking";
    public const string ServerKind = "server_kind";
    public const string StripHistoryThinking = "strip_history_thinking";
    public const string KeepToolCallReasoning = "keep_tool_call_reasoning";
    public const string ThinkTags = "think_tags";
    public const string ThinkTagsAnywhere = "think_tags_anywhere";
    public const string AllowModeHeader = "allow_mode_header";

    /// <summary>
    /// What <c>think_tags</c> accepts: <c>auto</c> and the built-in tag families' names (Filtering/ThinkTagFamily.cs defines
    /// the families; Profiles may not depend on Filtering, so a test keeps the two lists equal).
    /// </summary>
    public static readonly string[] ThinkTagsValues = ["auto", "think", "thinking", "thought", "reasoning", "seed", "mistral", "harmony"];

    /// <summary>Proxy settings: understood by the proxy and never forwarded upstream (the one list of them).</summary>
    public static IReadOnlyList<string> Directives { get; } =
    [
        UpstreamModelName, AppendToLastUserMessage, EnableThinkTagFiltering, ThinkTagStart, ThinkTagEnd, ThinkMode,
        ThinkStartsOpen, ReasoningField, Thinking, ServerKind, StripHistoryThinking, KeepToolCallReasoning, ThinkTags,
        ThinkTagsAnywhere, AllowModeHeader,
    ];

    public static bool IsSpecial(string key) => Directives.Contains(key, StringComparer.Ordinal);

    // The original cot-proxy's type table (its README's LLM_PARAMS section), kept as it was.
    public static bool IsFloat(string key) => key is "temperature" or "top_p" or "presence_penalty"
        or "frequency_penalty" or "repetition_penalty";

    public static bool IsInteger(string key) => key is "top_k" or "max_tokens" or "n" or "seed"
        or "num_ctx" or "num_predict" or "repeat_last_n" or "batch_size";

    public static bool IsBoolean(string key) => key is "echo" or "stream";

    /// <summary>
    /// 0, 1 or 2, not the boolean the original's table made it: llama.cpp's server and Ollama both take mirostat as
    /// 0 (off), 1 (Mirostat) or 2 (Mirostat 2.0).
    /// </summary>
    public const string Mirostat = "mirostat";

    public static bool IsTyped(string key) => IsFloat(key) || IsInteger(key) || IsBoolean(key) || key == Mirostat;
}
