namespace CotProxy.Profiles;

/// <summary>The spellings of <see cref="ThinkingSwitch"/> and <see cref="ServerKind"/> in profiles, headers, settings and logs.</summary>
internal static class ThinkingNames
{
    /// <summary>What the switch accepts, for error messages.</summary>
    public const string SwitchValues = "off, on, low, medium or high";

    /// <summary>What <c>server_kind</c> and SERVER_KIND accept, for error messages.</summary>
    public const string ServerKindValues = "llamacpp, vllm, sglang, ollama or openai";

    /// <summary>One of <see cref="SwitchValues"/>, ASCII letters in any case (a header's value may be typed by hand).</summary>
    public static bool TryParseSwitch(ReadOnlySpan<char> text, out ThinkingSwitch value)
    {
        for (int i = 0; i < 5; i++)
        {
            if (text.Equals(Name((ThinkingSwitch)i), StringComparison.OrdinalIgnoreCase))
            {
                value = (ThinkingSwitch)i;
                return true;
            }
        }

        value = ThinkingSwitch.Off;
        return false;
    }

    public static bool TryParseServerKind(ReadOnlySpan<char> text, out ServerKind kind)
    {
        for (int i = 0; i < 5; i++)
        {
            if (text.Equals(Name((ServerKind)i), StringComparison.OrdinalIgnoreCase))
            {
                kind = (ServerKind)i;
                return true;
            }
        }

        kind = ServerKind.OpenAi;
        return false;
    }

    public static string Name(ThinkingSwitch value) => value switch
    {
        ThinkingSwitch.Off => "off",
        ThinkingSwitch.On => "on",
        ThinkingSwitch.Low => "low",
        ThinkingSwitch.Medium => "medium",
        _ => "high",
    };

    public static string Name(ServerKind kind) => kind switch
    {
        ServerKind.LlamaCpp => "llamacpp",
        ServerKind.Vllm => "vllm",
        ServerKind.SGLang => "sglang",
        ServerKind.Ollama => "ollama",
        _ => "openai",
    };
}
