using CotProxy.Logging;

namespace CotProxy.Tests.Logging;

public sealed class SecretNamesTests
{
    // Header names and parameter keys seen in practice, secret or not; the two rules that came before SecretNames are
    // checked against every one of them below.
    private static readonly string[] s_names =
    [
        "Host", "User-Agent", "Accept", "Accept-Encoding", "Authorization", "Proxy-Authorization", "Content-Type",
        "Content-Length", "Connection", "Transfer-Encoding", "Cookie", "Set-Cookie", "X-Forwarded-For", "X-Request-Id",
        "OpenAI-Organization", "OpenAI-Project", "X-Stainless-Retry-Count", "Api-Key", "X-Api-Key", "X-Goog-Api-Key",
        "anthropic-api-key", "anthropic-version", "X-Auth-Token", "XAuthToken", "X-Csrf-Token", "X-Amz-Security-Token",
        "X-Client-Secret", "x-ratelimit-remaining-tokens", "x-ratelimit-limit-requests", "anthropic-ratelimit-tokens-limit",
        "api_key", "API_KEY", "apikey", "api-key", "OPENAI_API_KEY", "token", "access_token", "refresh-token",
        "secret", "client_secret", "password", "passwd", "pwd", "auth", "bearer", "credentials", "session_id",
        "model", "temperature", "top_k", "top_p", "seed", "stop", "max_tokens", "max_completion_tokens",
        "max_new_tokens", "min_tokens", "budget_tokens", "keep_alive", "think_tag_start", "upstream_model_name",
        "chat_template_kwargs", "enable_thinking", "monkey", "author", "keyboard", "tokenizer", "tokenizer_mode",
    ];

    public static TheoryData<string> Names => new(s_names);

    [Theory]
    [InlineData("api_key")]
    [InlineData("API_KEY")]
    [InlineData("apikey")]
    [InlineData("api-key")]
    [InlineData("OPENAI_API_KEY")]
    [InlineData("token")]
    [InlineData("access_token")]
    [InlineData("secret")]
    [InlineData("client_secret")]
    [InlineData("password")]
    [InlineData("Authorization")]
    [InlineData("auth")]
    [InlineData(" api_key ")]
    [InlineData("X-Api-Key")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Cookie")]
    [InlineData("Set-Cookie")]
    [InlineData("X-Goog-Api-Key")]
    [InlineData("x-goog-api-key")]
    [InlineData("anthropic-api-key")]
    [InlineData("Api-Key")]
    [InlineData("X-Auth-Token")]
    [InlineData("X-Amz-Security-Token")]
    [InlineData("apiKey")]
    [InlineData("openaiApiKey")]
    [InlineData("clientSecret")]
    [InlineData("passWord")]
    [InlineData("dbpassword")]
    [InlineData("xauthtoken")]
    [InlineData("db.password")]
    [InlineData("session_id")]
    [InlineData("x-ratelimit-remaining-tokens")]
    public void IsSecret_CredentialName_True(string name)
    {
        Assert.True(SecretNames.IsSecret(name));
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    [InlineData("max_output_tokens")]
    [InlineData("maxOutputTokens")]
    [InlineData("MAX-NEW-TOKENS")]
    [InlineData("min_tokens")]
    [InlineData("budget_tokens")]
    [InlineData("model")]
    [InlineData("temperature")]
    [InlineData("top_k")]
    [InlineData("think_tag_start")]
    [InlineData("keep_alive")]
    [InlineData("monkey")]
    [InlineData("author")]
    [InlineData("Content-Type")]
    [InlineData("X-Request-Id")]
    [InlineData("X-Stainless-Retry-Count")]
    [InlineData("")]
    public void IsSecret_OrdinaryName_False(string name)
    {
        Assert.False(SecretNames.IsSecret(name));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void IsSecret_NameTheDebugLogHid_StillSecretUnlessATokenCount(string name)
    {
        if (OldDebugLogRule(name) && !name.Contains("_tokens", StringComparison.Ordinal))
        {
            Assert.True(SecretNames.IsSecret(name));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void IsSecret_KeyTheParameterRuleHid_StillSecret(string name)
    {
        if (OldParameterRule(name))
        {
            Assert.True(SecretNames.IsSecret(name));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void IsSecret_AnySpelling_SameAnswer(string name)
    {
        bool secret = SecretNames.IsSecret(name);

        Assert.Equal(secret, SecretNames.IsSecret(name.ToUpperInvariant()));
        Assert.Equal(secret, SecretNames.IsSecret(name.ToLowerInvariant()));
        Assert.Equal(secret, SecretNames.IsSecret(name.Replace('_', '-')));
        Assert.Equal(secret, SecretNames.IsSecret(name.Replace('-', '_')));
    }

    // The DEBUG log's header rule before SecretNames (Api/DebugLog.IsSecret).
    private static bool OldDebugLogRule(string headerName) =>
        headerName.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Cookie", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Api-Key", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("X-Api-Key", StringComparison.OrdinalIgnoreCase)
        || headerName.Contains("token", StringComparison.OrdinalIgnoreCase)
        || headerName.Contains("secret", StringComparison.OrdinalIgnoreCase);

    // The LLM_PARAMS key rule before SecretNames (Configuration/SecretRedactor.IsSensitiveKey).
    private static bool OldParameterRule(string key)
    {
        string[] words = ["key", "apikey", "token", "secret", "password", "passwd", "pwd", "authorization", "auth", "bearer", "credential", "credentials", "cookie", "session"];
        return key.Trim().Split('_', '-', '.').Any(word => words.Contains(word, StringComparer.OrdinalIgnoreCase));
    }
}
