using System.Text;

namespace CotProxy.Demo;

/// <summary>What the fake reasoning model "writes": a thought in think tags, then an answer, as a list of tokens.</summary>
internal static class DemoModel
{
    public const string ModelId = "demo-reasoner";

    // 20 ms per token is about 50 tokens/s, the pace of a mid-sized local model on a GPU.
    public const int DefaultTokenDelayMs = 20;

    public static List<string> Tokens(string? userMessage)
    {
        var message = userMessage?.Trim() ?? "";

        // Qwen3's soft switch: a user turn ending in /no_think gets an empty think block, as the real template emits.
        var noThink = message.EndsWith("/no_think", StringComparison.Ordinal);
        if (noThink)
        {
            message = message[..^"/no_think".Length].TrimEnd();
        }

        var prompt = message.Length == 0 ? "(nothing)" : Shorten(message, 200);
        var thought = $"The user wrote: \"{prompt}\". I should answer briefly and helpfully.";
        var answer = $"Hello! This is the cot-proxy demo model. You said: {prompt}";

        var tokens = new List<string> { "<think>", "\n" };
        if (!noThink)
        {
            Split(thought, tokens);
            tokens.Add("\n");
        }

        tokens.Add("</think>");
        tokens.Add("\n\n");
        Split(answer, tokens);
        return tokens;
    }

    public static string Answer(string? userMessage)
    {
        var tokens = Tokens(userMessage);
        var end = tokens.IndexOf("</think>");
        return string.Concat(tokens.Skip(end + 2));
    }

    private static void Split(string text, List<string> tokens)
    {
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ' ' && i > start)
            {
                tokens.Add(text[start..i]);
                start = i;
            }
        }

        tokens.Add(text[start..]);
    }

    private static string Shorten(string text, int max)
    {
        var builder = new StringBuilder(Math.Min(text.Length, max));
        foreach (var c in text.AsSpan(0, Math.Min(text.Length, max)))
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }
}
