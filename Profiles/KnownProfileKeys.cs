namespace CotProxy.Profiles;

/// <summary>
/// The profile keys the proxy knows: its own directives and the sampling and request parameters common to the public
/// APIs it fronts (OpenAI's chat completions, llama.cpp's server, Ollama, vLLM). Any other key is still a parameter for
/// the model; a key within a few edits of one of these is most likely a misspelling and gets a suggestion.
/// </summary>
internal static class KnownProfileKeys
{
    /// <summary>The keys <c>LLM_PARAMS</c> and a config file's profiles give a meaning of their own.</summary>
    public static IReadOnlyList<string> Directives { get; } = [ProfileKeys.Model, .. ProfileKeys.Directives];

    /// <summary>Request fields of those public APIs (the top-level names; nested fields are free).</summary>
    public static IReadOnlyList<string> CommonParameters { get; } =
    [
        "temperature", "top_p", "top_k", "min_p", "typical_p", "tfs_z", "top_a", "presence_penalty", "frequency_penalty",
        "repetition_penalty", "repeat_penalty", "repeat_last_n", "penalize_nl", "max_tokens", "max_completion_tokens",
        "min_tokens", "n", "n_predict", "seed", "stop", "stream", "stream_options", "echo", "logprobs", "top_logprobs",
        "logit_bias", "response_format", "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "user",
        ProfileKeys.Mirostat, "mirostat_tau", "mirostat_eta", "num_ctx", "num_predict", "num_keep", "batch_size",
        "keep_alive", "chat_template_kwargs", "grammar", "json_schema", "dry_multiplier", "dry_base", "dry_allowed_length",
        "dry_penalty_last_n", "xtc_probability", "xtc_threshold", "ignore_eos", "cache_prompt", "samplers", "think",
        "options",
    ];

    private static readonly HashSet<string> s_known = new([.. Directives, .. CommonParameters], StringComparer.Ordinal);

    /// <summary>A directive or a common parameter, written exactly.</summary>
    public static bool IsKnown(string key) => s_known.Contains(key);

    /// <summary>
    /// For a key that is not known, the known key it is most likely a misspelling of (its first dotted segment is
    /// compared: <c>chat_template_kwarg.enable_thinking</c> finds <c>chat_template_kwargs</c>); else null.
    /// </summary>
    public static string? NearMiss(string key, IEnumerable<string>? more = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        int dot = key.IndexOf('.', StringComparison.Ordinal);
        string head = dot < 0 ? key : key[..dot];
        if (s_known.Contains(head) || (more is not null && more.Contains(head, StringComparer.Ordinal)))
        {
            return null;
        }

        string? nearest = KeySuggestion.Nearest(head, more is null ? s_known : s_known.Concat(more));
        return nearest is null ? null : dot < 0 ? nearest : nearest + key[dot..];
    }
}
