using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// Finds the token counts a response reports, in its raw bytes as they pass: OpenAI's <c>prompt_tokens</c> and
/// <c>completion_tokens</c> (a body's usage, a stream's last chunk), the Responses and Messages APIs' <c>input_tokens</c>
/// and <c>output_tokens</c>, Ollama's <c>prompt_eval_count</c> and <c>eval_count</c>. The last value seen wins (some
/// servers repeat a running usage in every chunk). Each read only adds to the kept last KiB of the body (one copy), and
/// that is searched once, when the body ends, from the last <c>"usage"</c> on, so a long stream costs no search per event
/// and a split read changes nothing.
/// </summary>
internal static class UsageScanner
{
    /// <summary>One read of the body: only its end is kept, as usage comes at (or near) the end of a body or stream.</summary>
    public static void Append(RequestStats stats, ReadOnlySpan<byte> data) => stats.AppendTail(data);

    /// <summary>The body is over: reads the usage from the kept end, the last value of each field winning.</summary>
    public static void Finish(RequestStats stats)
    {
        var tail = stats.Tail();
        if (tail.IsEmpty)
        {
            return;
        }

        // Ollama's native API puts its counts at the root, with no "usage" object.
        if (stats.Route is MetricsRoute.OllamaChat or MetricsRoute.OllamaGenerate)
        {
            Find(stats, tail, "eval_count\""u8);
            return;
        }

        // The last "usage" object, searched from the end where it is (OpenAI, Anthropic, the Responses API); only what
        // follows it is read.
        var usage = tail.LastIndexOf("\"usage\""u8);
        if (usage >= 0)
        {
            Find(stats, tail[usage..], "_tokens\""u8);
        }
    }

    private static void Find(RequestStats stats, ReadOnlySpan<byte> text, ReadOnlySpan<byte> suffix)
    {
        var from = 0;
        while (true)
        {
            var found = text[from..].IndexOf(suffix);
            if (found < 0)
            {
                return;
            }

            var end = from + found + suffix.Length;
            from = end;
            var head = text[..end];
            int nameLength;
            bool prompt;
            if (head.EndsWith("\"prompt_tokens\""u8))
            {
                (nameLength, prompt) = (15, true);
            }
            else if (head.EndsWith("\"completion_tokens\""u8))
            {
                (nameLength, prompt) = (19, false);
            }
            else if (head.EndsWith("\"input_tokens\""u8))
            {
                (nameLength, prompt) = (14, true);
            }
            else if (head.EndsWith("\"output_tokens\""u8))
            {
                (nameLength, prompt) = (15, false);
            }
            else if (head.EndsWith("\"prompt_eval_count\""u8))
            {
                (nameLength, prompt) = (19, true);
            }
            else if (head.EndsWith("\"eval_count\""u8))
            {
                (nameLength, prompt) = (12, false);
            }
            else
            {
                continue;
            }

            if (TryReadNumber(text[end..], out var value))
            {
                if (prompt)
                {
                    stats.PromptTokens = value;
                }
                else
                {
                    stats.CompletionTokens = value;
                }
            }
        }
    }

    /// <summary><c>: 123</c> followed by a byte that ends it; false when the number may go on in the next read.</summary>
    private static bool TryReadNumber(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        var i = SkipSpace(text, 0);
        if (i >= text.Length || text[i] != (byte)':')
        {
            return false;
        }

        // Digit by digit: a count is a few digits, shorter than a vectorized search's setup. One that does not fit a long
        // is no count, and one that reaches the end of the text may go on.
        i = SkipSpace(text, i + 1);
        var start = i;
        long number = 0;
        for (; i < text.Length && (uint)(text[i] - '0') <= 9; i++)
        {
            var digit = text[i] - '0';
            if (number > (long.MaxValue - digit) / 10)
            {
                return false;
            }

            number = (number * 10) + digit;
        }

        if (i == start || i == text.Length)
        {
            return false;
        }

        value = number;
        return true;
    }

    private static int SkipSpace(ReadOnlySpan<byte> text, int i)
    {
        // RFC 8259 §2: the insignificant whitespace JSON allows around a name separator.
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }
}
