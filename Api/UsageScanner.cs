using System.Buffers.Text;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// Finds the token counts a response reports, in its raw bytes as they pass: OpenAI's <c>prompt_tokens</c> and
/// <c>completion_tokens</c> (a body's usage, a stream's last chunk), the Responses and Messages APIs' <c>input_tokens</c>
/// and <c>output_tokens</c>, Ollama's <c>prompt_eval_count</c> and <c>eval_count</c>. The last value seen wins (some
/// servers repeat a running usage in every chunk). Two vectorized searches per read; a name split across reads is found
/// through the few bytes carried over.
/// </summary>
internal static class UsageScanner
{
    public static void Scan(RequestStats stats, ReadOnlySpan<byte> data)
    {
        var carried = stats.CarryLength;
        if (carried > 0)
        {
            // Only a name that begins in the carried bytes is looked for here; the rest is found in data itself.
            Span<byte> joined = stackalloc byte[RequestStats.CarryBytes * 2];
            var take = Math.Min(data.Length, RequestStats.CarryBytes);
            stats.Carry[..carried].CopyTo(joined);
            data[..take].CopyTo(joined[carried..]);
            ScanText(stats, joined[..(carried + take)], carried);
        }

        ScanText(stats, data, int.MaxValue);

        // Keep the last bytes seen, whichever read they came from.
        var carry = stats.Carry;
        if (data.Length >= RequestStats.CarryBytes)
        {
            data[^RequestStats.CarryBytes..].CopyTo(carry);
            stats.CarryLength = RequestStats.CarryBytes;
        }
        else
        {
            var keep = Math.Min(carried, RequestStats.CarryBytes - data.Length);
            carry.Slice(carried - keep, keep).CopyTo(carry);
            data.CopyTo(carry[keep..]);
            stats.CarryLength = keep + data.Length;
        }
    }

    private static void ScanText(RequestStats stats, ReadOnlySpan<byte> text, int startsBefore)
    {
        Find(stats, text, "_tokens\""u8, startsBefore);
        Find(stats, text, "eval_count\""u8, startsBefore);
    }

    private static void Find(RequestStats stats, ReadOnlySpan<byte> text, ReadOnlySpan<byte> suffix, int startsBefore)
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

            if (end - nameLength >= startsBefore)
            {
                return;
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

        i = SkipSpace(text, i + 1);
        var digits = text[i..];
        var length = digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return length > 0 && Utf8Parser.TryParse(digits[..length], out value, out _);
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
