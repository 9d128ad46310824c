using System.Text;

namespace CotProxy.Logging;

/// <summary>
/// The one rule for which names carry credentials, so that their values are never printed: header names in DEBUG logs,
/// LLM_PARAMS keys in <c>cot-proxy config</c> and error lines, profile keys in start-up logs.
/// </summary>
/// <remarks>
/// A name is secret when
/// <list type="bullet">
/// <item>one of its words is a credential word (key, apikey, token, secret, password, authorization, auth, cookie,
/// session…). Words are split at '_', '-', '.' and spaces, and again where a lower-case letter or digit meets an
/// upper-case one; each word is tried whole and in its parts: api_key, X-Goog-Api-Key, anthropic-api-key,
/// OPENAI_API_KEY, clientSecret, Proxy-Authorization, Set-Cookie;</item>
/// <item>or it holds "token", "secret", "password" or "apikey" anywhere, which catches names written as one word
/// (xauthtoken, dbpassword) and, as the DEBUG log always did, the rate-limit headers that count tokens.</item>
/// </list>
/// Except the request parameters that count model tokens, named so by public APIs (OpenAI's max_tokens,
/// max_completion_tokens and max_output_tokens, vLLM's min_tokens, Hugging Face TGI's max_new_tokens, Anthropic's
/// budget_tokens and max_tokens_to_sample, Gemini's maxOutputTokens), in any case and with any separator: they never
/// hold a credential, and max_tokens is the setting people most often check. "max_tokens" is not secret; "monkey"
/// and "author" are not either (whole words only, no substring "key" or "auth").
/// </remarks>
internal static class SecretNames
{
    private static readonly HashSet<string> s_credentialWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "key", "keys", "apikey", "apikeys", "token", "secret", "password", "passwd", "pwd", "passphrase", "authorization", "auth",
        "bearer", "credential", "credentials", "cookie", "session",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_credentialWordLookup =
        s_credentialWords.GetAlternateLookup<ReadOnlySpan<char>>();

    // Found anywhere in a name, also inside a word.
    private static readonly string[] s_credentialParts = ["token", "secret", "password", "apikey"];

    // The token-count parameters, as their words joined by '_' in lower case.
    private static readonly HashSet<string> s_tokenCounts = new(StringComparer.Ordinal)
    {
        "max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens", "min_tokens", "budget_tokens",
        "max_tokens_to_sample",
    };

    private static readonly char[] s_separators = ['_', '-', '.', ' '];

    /// <summary>True when values under this header name or parameter key must not be printed.</summary>
    public static bool IsSecret(string name)
    {
        if (HasCredentialWord(name))
        {
            return true;
        }

        foreach (string part in s_credentialParts)
        {
            if (name.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return !s_tokenCounts.Contains(Canonical(name));
            }
        }

        return false;
    }

    private static bool HasCredentialWord(string name)
    {
        foreach (string word in name.Split(s_separators, StringSplitOptions.RemoveEmptyEntries))
        {
            if (s_credentialWordLookup.Contains(word))
            {
                return true;
            }

            int start = 0;
            for (int i = 1; i <= word.Length; i++)
            {
                if (i == word.Length || IsCaseBoundary(word[i - 1], word[i]))
                {
                    if (s_credentialWordLookup.Contains(word.AsSpan(start, i - start)))
                    {
                        return true;
                    }

                    start = i;
                }
            }
        }

        return false;
    }

    private static bool IsCaseBoundary(char previous, char current) =>
        char.IsUpper(current) && (char.IsLower(previous) || char.IsDigit(previous));

    /// <summary>The name's words, lower case, joined by '_': maxOutputTokens and MAX-OUTPUT-TOKENS give max_output_tokens.</summary>
    private static string Canonical(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (string word in name.Split(s_separators, StringSplitOptions.RemoveEmptyEntries))
        {
            for (int i = 0; i < word.Length; i++)
            {
                if (text.Length > 0 && (i == 0 || IsCaseBoundary(word[i - 1], word[i])))
                {
                    text.Append('_');
                }

                text.Append(char.ToLowerInvariant(word[i]));
            }
        }

        return text.ToString();
    }
}
