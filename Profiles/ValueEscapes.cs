using System.Globalization;
using System.Text;

namespace CotProxy.Profiles;

/// <summary>
/// The escapes an environment-variable value may carry: <c>\n \r \t \\ \, \; \uXXXX</c>.
/// Environment variables cannot hold a newline comfortably, and <c>,</c> and <c>;</c> separate
/// entries and profiles in <c>LLM_PARAMS</c>, so these are the only ones a value needs.
/// </summary>
internal static class ValueEscapes
{
    public const string Allowed = @"\n \r \t \\ \, \; \uXXXX";

    /// <summary>Decodes the escapes in <paramref name="value"/>.</summary>
    /// <exception cref="FormatException">An unknown or incomplete escape, a trailing lone backslash, or a lone UTF-16 surrogate.</exception>
    public static string Decode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int first = value.IndexOf('\\', StringComparison.Ordinal);
        if (first < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        builder.Append(value, 0, first);
        for (int i = first; i < value.Length; i++)
        {
            char c = value[i];
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            if (i + 1 >= value.Length)
            {
                throw new FormatException($@"value ends with a lone backslash (write \\ for a backslash; allowed escapes: {Allowed})");
            }

            char escape = value[++i];
            switch (escape)
            {
                case 'n':
                    builder.Append('\n');
                    break;
                case 'r':
                    builder.Append('\r');
                    break;
                case 't':
                    builder.Append('\t');
                    break;
                case '\\':
                case ',':
                case ';':
                    builder.Append(escape);
                    break;
                case 'u':
                    builder.Append(DecodeUnicode(value, i));
                    i += 4;
                    break;
                default:
                    throw new FormatException($@"bad escape ""\{escape}"" (allowed escapes: {Allowed})");
            }
        }

        string result = builder.ToString();
        RejectLoneSurrogates(result);
        return result;
    }

    private static char DecodeUnicode(string value, int uIndex)
    {
        // uIndex points at the 'u'; exactly four hex digits must follow, as in JSON (RFC 8259 §7).
        int end = Math.Min(value.Length, uIndex + 5);
        string digits = value[(uIndex + 1)..end];
        if (digits.Length != 4 || !IsAllHex(digits))
        {
            throw new FormatException($@"bad escape ""\u{digits}"": \u needs exactly four hex digits (allowed escapes: {Allowed})");
        }

        return (char)int.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    private static bool IsAllHex(string digits)
    {
        foreach (char c in digits)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void RejectLoneSurrogates(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            if (char.IsSurrogate(c))
            {
                throw new FormatException($@"\u{(int)c:X4} is half of a UTF-16 surrogate pair without its other half (write both, e.g. \uD83D\uDE00)");
            }
        }
    }
}
