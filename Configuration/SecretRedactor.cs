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
    public const string Mask = LogRedaction.Mask;

    private static readonly SearchValues<char> s_itemSeparators = SearchValues.Create(",;\n");

    /// <summary>Replaces the user-info of every "scheme://user-info@" in the text with ***.</summary>
    public static string RedactUrlUserInfo(string text) => LogRedaction.UrlUserInfo(text);

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
