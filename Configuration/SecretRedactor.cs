using System.Buffers;
using System.Text;
using CotProxy.Logging;

namespace CotProxy.Configuration;

/// <summary>
/// Hides secrets in texts that are printed (<c>cot-proxy config</c>, error lines): the password
/// part of URLs ("https://user:pass@host" → "https://***@host") and, in LLM_PARAMS-style
/// "key=value" lists, the values of keys that name a credential (api_key, token, secret,
/// password, authorization...), by the rule the DEBUG log uses for header names:
/// <see cref="SecretNames.IsSecret"/>.
/// </summary>
internal static class SecretRedactor
{
    public const string Mask = "***";

    private static readonly SearchValues<char> s_authorityEnd = SearchValues.Create("/?# ,;\n\"'");
    private static readonly SearchValues<char> s_itemSeparators = SearchValues.Create(",;\n");

    /// <summary>Replaces the user-info of every "scheme://user-info@" in the text with ***.</summary>
    public static string RedactUrlUserInfo(string text)
    {
        int searchFrom = 0;
        var builder = (StringBuilder?)null;
        int copiedUpTo = 0;
        while (true)
        {
            int schemeEnd = text.IndexOf("://", searchFrom, StringComparison.Ordinal);
            if (schemeEnd < 0)
            {
                break;
            }

            int authorityStart = schemeEnd + 3;
            int authorityLength = text.AsSpan(authorityStart).IndexOfAny(s_authorityEnd);
            int authorityEnd = authorityLength < 0 ? text.Length : authorityStart + authorityLength;
            int at = authorityEnd > authorityStart ? text.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
            if (at >= authorityStart)
            {
                builder ??= new StringBuilder(text.Length);
                builder.Append(text, copiedUpTo, authorityStart - copiedUpTo).Append(Mask);
                copiedUpTo = at;
            }

            searchFrom = authorityStart;
        }

        if (builder is null)
        {
            return text;
        }

        return builder.Append(text, copiedUpTo, text.Length - copiedUpTo).ToString();
    }

    /// <summary>
    /// Redacts an LLM_PARAMS-style text: items separated by ',', ';' or line breaks, each
    /// "key=value"; values of sensitive keys become ***, URLs lose their user-info. Everything
    /// else, separators included, is kept as written.
    /// </summary>
    public static string RedactParameters(string text)
    {
        var builder = new StringBuilder(text.Length);
        int start = 0;
        while (start <= text.Length)
        {
            int length = text.AsSpan(start).IndexOfAny(s_itemSeparators);
            int end = length < 0 ? text.Length : start + length;

            string item = text[start..end];
            int equals = item.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && SecretNames.IsSecret(item[..equals]))
            {
                builder.Append(item, 0, equals + 1).Append(Mask);
            }
            else
            {
                builder.Append(RedactUrlUserInfo(item));
            }

            if (end < text.Length)
            {
                builder.Append(text[end]);
            }

            start = end + 1;
        }

        return builder.ToString();
    }
}
