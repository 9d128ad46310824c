using System.Globalization;
using CotProxy.Configuration;
using CotProxy.Filtering;

namespace CotProxy.Tests.Configuration;

public sealed class SettingsLoaderTests : IDisposable
{
    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private ProxySettings Load(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        bool ok = SettingsLoader.TryLoad(args, environment ?? s_noEnvironment, _directory.Path, out ProxySettings settings, out string error);
        Assert.True(ok, error);
        Assert.Equal("", error);
        return settings;
    }

    private string LoadError(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        bool ok = SettingsLoader.TryLoad(args, environment ?? s_noEnvironment, _directory.Path, out _, out string error);
        Assert.False(ok);
        Assert.DoesNotContain('\n', error);
        Assert.NotEqual("", error);
        return error;
    }

    /// <summary>Each setting's effective value as text, written independently of SettingsText.</summary>
    private static string ValueOf(ProxySettings s, string name) => name switch
    {
        "HOST" => s.Host,
        "PORT" => s.Port.ToString(CultureInfo.InvariantCulture),
        "TARGET_BASE_URL" => s.TargetBaseUrl.AbsoluteUri,
        "DEMO" => s.Demo.ToString(),
        "DEBUG" => s.Debug.ToString(),
        "LOG_FORMAT" => s.LogJson ? "json" : "text",
        "API_REQUEST_TIMEOUT" => s.ApiRequestTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "CONNECT_TIMEOUT" => s.ConnectTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "MAX_REQUEST_BODY_MB" => s.MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture),
        "MAX_FILTERED_BODY_MB" => s.MaxFilteredBodyBytes.ToString(CultureInfo.InvariantCulture),
        "SHUTDOWN_TIMEOUT" => s.ShutdownTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "REQUEST_HEADERS_TIMEOUT" => s.RequestHeadersTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "REQUEST_BODY_TIMEOUT" => s.RequestBodyTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "KEEP_ALIVE_TIMEOUT" => s.KeepAliveTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "LLM_PARAMS" => s.LlmParams ?? "(null)",
        "THINK_TAG" => s.ThinkTag ?? "(null)",
        "THINK_END_TAG" => s.ThinkEndTag ?? "(null)",
        "ENABLE_THINK_TAG_FILTERING" => s.EnableThinkTagFiltering.ToString(),
        "THINK_MODE" => s.ThinkMode.ToString(),
        "THINK_KEEPALIVE_SECONDS" => s.ThinkKeepAliveSeconds.ToString(CultureInfo.InvariantCulture),
        "CORS_ALLOW_ORIGINS" => string.Join(" ", s.CorsAllowOrigins),
        "SERVER_KIND" => s.ServerKind ?? "(null)",
        "PROXY_API_KEYS" => string.Join(" ", s.ProxyApiKeys),
        "PROXY_API_KEYS_FILE" => s.ProxyApiKeysFile is null ? "(null)" : $"{s.ProxyApiKeysFile}: {string.Join(" ", s.ProxyApiKeysFromFile)}",
        "TARGET_API_KEY" => s.TargetApiKey ?? "(null)",
        "TARGET_API_KEY_HEADER" => s.TargetApiKeyHeader,
        "TRUSTED_PROXIES" => string.Join(" ", s.TrustedProxies.Select(n => $"{n.BaseAddress}/{n.PrefixLength}")),
        "HTTPS_PROXY" => s.HttpsProxy?.AbsoluteUri ?? "(null)",
        "HTTP_PROXY" => s.HttpProxy?.AbsoluteUri ?? "(null)",
        "NO_PROXY" => s.NoProxy ?? "(null)",
        "SSL_CERT_FILE" => s.SslCertFile is null ? "(null)" : System.IO.Path.GetFileName(s.SslCertFile),
        "COT_CONFIG" => s.ConfigFile is null ? "(null)" : Path.GetFileName(s.ConfigFile.Path),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown setting"),
    };

    [Fact]
    public void TryLoad_NothingGiven_AllDefaults()
    {
        ProxySettings s = Load([]);
        Assert.Equal(ProxyCommand.Serve, s.Command);
        Assert.Equal("0.0.0.0", s.Host);
        Assert.Equal(5000, s.Port);
        Assert.Equal("https://api.openai.com/v1/", s.TargetBaseUrl.AbsoluteUri);
        Assert.False(s.Demo);
        Assert.False(s.Debug);
        Assert.Equal(TimeSpan.FromSeconds(3000), s.ApiRequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), s.ConnectTimeout);
        Assert.Equal(32L * 1024 * 1024, s.MaxRequestBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), s.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RequestBodyTimeout);
        Assert.Equal(TimeSpan.FromSeconds(75), s.KeepAliveTimeout);
        Assert.Null(s.LlmParams);
        Assert.Null(s.ThinkTag);
        Assert.Null(s.ThinkEndTag);
        Assert.False(s.EnableThinkTagFiltering);
        Assert.Equal(ThinkMode.Strip, s.ThinkMode);
        Assert.Equal(15, s.ThinkKeepAliveSeconds);
        Assert.Null(s.EnvFileUsed);
        Assert.Empty(s.Sources);
    }

    // name, option (or ""), a value for .env, one for the environment, one for the option, and the
    // effective values each gives.
    public static TheoryData<string, string, string, string, string, string, string, string> Layers => new()
    {
        { "HOST", "--host", "10.0.0.1", "::", "127.0.0.1", "10.0.0.1", "::", "127.0.0.1" },
        { "PORT", "--port", "6000", "7000", "0", "6000", "7000", "0" },
        { "TARGET_BASE_URL", "--target", "http://file:1/v1", "http://env:2", "https://flag:3/api/v1", "http://file:1/v1/", "http://env:2/", "https://flag:3/api/v1/" },
        { "DEMO", "--demo", "yes", "0", "true", "True", "False", "True" },
        { "DEBUG", "", "true", "no", "", "True", "False", "" },
        { "LOG_FORMAT", "", "json", "text", "", "json", "text", "" },
        { "API_REQUEST_TIMEOUT", "", "60", "0.5", "", "60000", "500", "" },
        { "CONNECT_TIMEOUT", "", "1", "2.25", "", "1000", "2250", "" },
        { "MAX_REQUEST_BODY_MB", "", "1", "4096", "", "1048576", "4294967296", "" },
        { "MAX_FILTERED_BODY_MB", "", "1", "1024", "", "1048576", "1073741824", "" },
        { "SHUTDOWN_TIMEOUT", "", "5", "6", "", "5000", "6000", "" },
        { "REQUEST_HEADERS_TIMEOUT", "", "7", "8", "", "7000", "8000", "" },
        { "REQUEST_BODY_TIMEOUT", "", "9", "10", "", "9000", "10000", "" },
        { "KEEP_ALIVE_TIMEOUT", "", "11", "12", "", "11000", "12000", "" },
        { "LLM_PARAMS", "", "model=a,temperature=0.1", "model=b;model=c,top_k=5", "", "model=a,temperature=0.1", "model=b;model=c,top_k=5", "" },
        { "THINK_TAG", "", "<reasoning>", "\\u003cthink\\u003e", "", "<reasoning>", "\\u003cthink\\u003e", "" },
        { "THINK_END_TAG", "", "</reasoning>", "</think>\\n\\n", "", "</reasoning>", "</think>\\n\\n", "" },
        { "ENABLE_THINK_TAG_FILTERING", "", "TRUE", "false", "", "True", "False", "" },
        { "THINK_MODE", "", "split", "merge", "", "Split", "Merge", "" },
        { "THINK_KEEPALIVE_SECONDS", "", "0", "3600", "", "0", "3600", "" },
        { "PROXY_API_KEYS", "", "k1", " k2 , k3 ,", "", "k1", "k2 k3", "" },
        { "PROXY_API_KEYS_FILE", "", "keys-a.txt", "keys-b.txt", "", "keys-a.txt: ka", "keys-b.txt: kb1 kb2", "" },
        { "TARGET_API_KEY", "", "sk-file", "sk-env", "", "sk-file", "sk-env", "" },
        { "TARGET_API_KEY_HEADER", "", "x-api-key", "X-Goog-Api-Key", "", "x-api-key", "X-Goog-Api-Key", "" },
        { "CORS_ALLOW_ORIGINS", "", "*", "HTTPS://Chat.Example.com:443/, http://localhost:3000", "", "*", "https://chat.example.com http://localhost:3000", "" },
        { "SERVER_KIND", "", "vllm", "llamacpp", "", "vllm", "llamacpp", "" },
        { "TRUSTED_PROXIES", "", "10.0.0.0/8", " 192.168.1.5 , fd00::/8,::1,", "", "10.0.0.0/8", "192.168.1.5/32 fd00::/8 ::1/128", "" },
        { "HTTPS_PROXY", "", "proxy-a:3128", "http://u:p@proxy-b:8080", "", "http://proxy-a:3128/", "http://u:p@proxy-b:8080/", "" },
        { "HTTP_PROXY", "", "http://proxy-c", "proxy-d:1", "", "http://proxy-c/", "http://proxy-d:1/", "" },
        { "NO_PROXY", "", "localhost", ".internal,10.0.0.0/8", "", "localhost", ".internal,10.0.0.0/8", "" },
        { "SSL_CERT_FILE", "", "ca-a.pem", "ca-b.pem", "", "ca-a.pem", "ca-b.pem", "" },
        { "COT_CONFIG", "", "a.yaml", "b.yaml", "", "a.yaml", "b.yaml", "" },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void TryLoad_EachLayer_HigherLayerWins(
        string name, string option, string fileValue, string environmentValue, string optionValue,
        string expectedFromFile, string expectedFromEnvironment, string expectedFromOption)
    {
        _directory.Write(".env", $"{name}='{fileValue}'\n");
        _directory.Write("keys-a.txt", "ka\n");
        _directory.Write("keys-b.txt", "# team keys\n\nkb1\n  kb2  \n");
        _directory.Write("ca-a.pem", s_caPem);
        _directory.Write("ca-b.pem", s_caPem);
        _directory.Write("a.yaml", "profiles: {}\n");
        _directory.Write("b.yaml", "# nothing set\n");
        var environment = new Dictionary<string, string> { [name] = environmentValue };

        ProxySettings fromFile = Load([]);
        Assert.Equal(expectedFromFile, ValueOf(fromFile, name));
        Assert.Equal(SettingSource.EnvFile, fromFile.SourceOf(name));

        ProxySettings fromEnvironment = Load([], environment);
        Assert.Equal(expectedFromEnvironment, ValueOf(fromEnvironment, name));
        Assert.Equal(SettingSource.Environment, fromEnvironment.SourceOf(name));

        if (option.Length > 0)
        {
            // --demo takes no separate value (the next word would be a command); --demo=BOOL works.
            if (option != "--demo")
            {
                ProxySettings fromOption = Load([option, optionValue], environment);
                Assert.Equal(expectedFromOption, ValueOf(fromOption, name));
                Assert.Equal(SettingSource.CommandLine, fromOption.SourceOf(name));
            }

            ProxySettings fromInlineOption = Load([$"{option}={optionValue}"], environment);
            Assert.Equal(expectedFromOption, ValueOf(fromInlineOption, name));
            Assert.Equal(SettingSource.CommandLine, fromInlineOption.SourceOf(name));
        }

        // Every other setting stayed at its default.
        ProxySettings defaults = new();
        foreach (SettingInfo other in SettingsCatalog.All)
        {
            if (other.Name != name)
            {
                Assert.Equal(ValueOf(defaults, other.Name), ValueOf(fromEnvironment, other.Name));
                Assert.Equal(SettingSource.Default, fromEnvironment.SourceOf(other.Name));
            }
        }
    }

    [Theory]
    [InlineData("https_proxy", "HTTPS_PROXY", "http://lower:1/")]
    [InlineData("no_proxy", "NO_PROXY", "lower")]
    public void TryLoad_LowerCaseName_WinsInTheSameLayerAsCurl(string lower, string upper, string expected)
    {
        var environment = new Dictionary<string, string> { [lower] = expected.StartsWith("http", StringComparison.Ordinal) ? "lower:1" : "lower", [upper] = "upper:2" };

        ProxySettings s = Load([], environment);

        Assert.Equal(expected, ValueOf(s, upper));
        Assert.Equal(SettingSource.Environment, s.SourceOf(upper));
    }

    [Fact]
    public void TryLoad_LowerCaseInEnvFile_UpperCaseInEnvironment_EnvironmentWins()
    {
        _directory.Write(".env", "http_proxy=file-proxy:1\n");

        Assert.Equal("http://file-proxy:1/", Load([]).HttpProxy!.AbsoluteUri);
        Assert.Equal("http://env-proxy:2/", Load([], new Dictionary<string, string> { ["HTTP_PROXY"] = "env-proxy:2" }).HttpProxy!.AbsoluteUri);
    }

    [Theory]
    [InlineData("HTTPS_PROXY", "socks5://p:1080", "expected an http:// proxy")]
    [InlineData("HTTP_PROXY", "http://u:secret@p:3128/path", "expected a proxy URL without a path")]
    [InlineData("SSL_CERT_FILE", "missing.pem", "cannot read certificates from")]
    [InlineData("SSL_CERT_FILE", "keys.txt", "holds no PEM certificate")]
    public void TryLoad_BadProxyOrCaFile_ErrorNamesTheSetting(string name, string value, string reason)
    {
        _directory.Write("keys.txt", "not a certificate\n");

        var error = LoadError([], new Dictionary<string, string> { [name] = value });

        Assert.StartsWith($"invalid {name} ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);
    }

    private static readonly string s_caPem = CreateCaPem();

    private static string CreateCaPem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=settings test CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return certificate.ExportCertificatePem() + "\n";
    }

    [Fact]
    public void Layers_CoverEverySettingInTheCatalog()
    {
        var covered = new HashSet<string>();
        foreach (object?[] row in Layers)
        {
            covered.Add((string)row[0]!);
        }

        Assert.Equal(SettingsCatalog.All.Select(s => s.Name).Order(), covered.Order());
    }

    [Fact]
    public void TryLoad_EmptyEnvironmentValue_HidesEnvFileAndGivesDefault()
    {
        _directory.Write(".env", "PORT=6000\nLLM_PARAMS=model=x\n");
        ProxySettings s = Load([], new Dictionary<string, string> { ["PORT"] = "", ["LLM_PARAMS"] = "" });
        Assert.Equal(5000, s.Port);
        Assert.Null(s.LlmParams);
        Assert.Equal(SettingSource.Default, s.SourceOf("PORT"));
    }

    [Fact]
    public void TryLoad_EmptyEnvFileValue_GivesDefault()
    {
        _directory.Write(".env", "PORT=\nDEBUG=''\nTHINK_TAG=\"\"\n");
        ProxySettings s = Load([]);
        Assert.Equal(5000, s.Port);
        Assert.False(s.Debug);
        Assert.Null(s.ThinkTag);
    }

    [Fact]
    public void TryLoad_UnrelatedVariables_Ignored()
    {
        _directory.Write(".env", "HOST_PORT=8000\nOPENAI_API_KEY=sk-1\n");
        ProxySettings s = Load([], new Dictionary<string, string> { ["PATH"] = "/bin", ["port"] = "1" });
        Assert.Equal(5000, s.Port);
    }

    [Fact]
    public void TryLoad_DefaultEnvFilePresent_ReadAndReported()
    {
        string path = _directory.Write(".env", "PORT=6001\n");
        ProxySettings s = Load([]);
        Assert.Equal(6001, s.Port);
        Assert.Equal(path, s.EnvFileUsed);
    }

    [Fact]
    public void TryLoad_EnvFileOption_ReplacesDefaultEnvFile()
    {
        _directory.Write(".env", "PORT=6001\nDEBUG=true\n");
        string path = _directory.Write("other.env", "PORT=6002\n");
        ProxySettings s = Load(["--env-file", "other.env"]);
        Assert.Equal(6002, s.Port);
        Assert.False(s.Debug);
        Assert.Equal(path, s.EnvFileUsed);
    }

    [Fact]
    public void TryLoad_EnvFileOptionAbsolutePathAndInlineForm_Read()
    {
        string path = _directory.Write("abs.env", "PORT=6003\n");
        Assert.Equal(6003, Load([$"--env-file={path}"]).Port);
    }

    [Fact]
    public void TryLoad_EnvFileOptionMissingFile_Error()
    {
        string expected = Path.Combine(_directory.Path, "nope.env");
        Assert.Equal($"--env-file: no such file \"{expected}\"", LoadError(["--env-file", "nope.env"]));
    }

    [Fact]
    public void TryLoad_MalformedEnvFile_ErrorNamesPathAndLine()
    {
        string path = _directory.Write(".env", "# settings\nPORT=1\nTARGET_BASE_URL\n");
        Assert.Equal($"{path} line 3: expected '=' after TARGET_BASE_URL", LoadError([]));
    }

    [Fact]
    public void TryLoad_BadValueInEnvFile_ErrorNamesFile()
    {
        string path = _directory.Write(".env", "PORT=abc\n");
        Assert.Equal($"invalid PORT \"abc\" (from {path}): expected a whole number from 0 to 65535 (0 picks any free port)", LoadError([]));
    }

    [Theory]
    [InlineData("HOST", "1", "invalid HOST \"1\" (from the environment): expected an IP address (0.0.0.0, ::, 127.0.0.1) or a host name (localhost)")]
    [InlineData("PORT", "65536", "invalid PORT \"65536\" (from the environment): expected a whole number from 0 to 65535 (0 picks any free port)")]
    [InlineData("PORT", "+80", "invalid PORT \"+80\" (from the environment): expected a whole number from 0 to 65535 (0 picks any free port)")]
    [InlineData("TARGET_BASE_URL", "localhost:8080", "invalid TARGET_BASE_URL \"localhost:8080\" (from the environment): expected an absolute http:// or https:// URL (e.g. http://localhost:8080/v1)")]
    [InlineData("TARGET_BASE_URL", "http://h/v1?x=1", "invalid TARGET_BASE_URL \"http://h/v1?x=1\" (from the environment): expected a base URL without a query (?...) or fragment (#...)")]
    [InlineData("DEMO", "on", "invalid DEMO \"on\" (from the environment): expected true/false, 1/0 or yes/no")]
    [InlineData("THINK_MODE", "Split", "invalid THINK_MODE \"Split\" (from the environment): expected strip, split, merge or keep (the values of a profile's think_mode)")]
    [InlineData("THINK_MODE", "hide", "invalid THINK_MODE \"hide\" (from the environment): expected strip, split, merge or keep (the values of a profile's think_mode)")]
    [InlineData("DEBUG", "maybe", "invalid DEBUG \"maybe\" (from the environment): expected true/false, 1/0 or yes/no")]
    [InlineData("LOG_FORMAT", "JSON", "invalid LOG_FORMAT \"JSON\" (from the environment): expected text or json")]
    [InlineData("API_REQUEST_TIMEOUT", "0", "invalid API_REQUEST_TIMEOUT \"0\" (from the environment): expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)")]
    [InlineData("CONNECT_TIMEOUT", "10s", "invalid CONNECT_TIMEOUT \"10s\" (from the environment): expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)")]
    [InlineData("MAX_REQUEST_BODY_MB", "0", "invalid MAX_REQUEST_BODY_MB \"0\" (from the environment): expected a whole number of MiB from 1 to 4096")]
    [InlineData("MAX_REQUEST_BODY_MB", "4097", "invalid MAX_REQUEST_BODY_MB \"4097\" (from the environment): expected a whole number of MiB from 1 to 4096")]
    [InlineData("MAX_FILTERED_BODY_MB", "0", "invalid MAX_FILTERED_BODY_MB \"0\" (from the environment): expected a whole number of MiB from 1 to 1024")]
    [InlineData("MAX_FILTERED_BODY_MB", "1025", "invalid MAX_FILTERED_BODY_MB \"1025\" (from the environment): expected a whole number of MiB from 1 to 1024")]
    [InlineData("SHUTDOWN_TIMEOUT", "-1", "invalid SHUTDOWN_TIMEOUT \"-1\" (from the environment): expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)")]
    [InlineData("REQUEST_HEADERS_TIMEOUT", "1.5555", "invalid REQUEST_HEADERS_TIMEOUT \"1.5555\" (from the environment): expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)")]
    [InlineData("REQUEST_BODY_TIMEOUT", "2147484", "invalid REQUEST_BODY_TIMEOUT \"2147484\" (from the environment): expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)")]
    [InlineData("KEEP_ALIVE_TIMEOUT", "none", "invalid KEEP_ALIVE_TIMEOUT \"none\" (from the environment): expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)")]
    [InlineData("ENABLE_THINK_TAG_FILTERING", "enabled", "invalid ENABLE_THINK_TAG_FILTERING \"enabled\" (from the environment): expected true/false, 1/0 or yes/no")]
    [InlineData("THINK_KEEPALIVE_SECONDS", "3601", "invalid THINK_KEEPALIVE_SECONDS \"3601\" (from the environment): expected a whole number of seconds from 0 to 3600 (0 = never)")]
    [InlineData("TARGET_API_KEY_HEADER", "x api key", "invalid TARGET_API_KEY_HEADER \"x api key\" (from the environment): expected a header name such as x-api-key or Authorization")]
    [InlineData("CORS_ALLOW_ORIGINS", "https://a.example/app", "invalid CORS_ALLOW_ORIGINS \"https://a.example/app\" (from the environment): entry 'https://a.example/app' is not an origin (scheme://host[:port], no path); expected origins such as https://app.example.com or http://localhost:3000, comma-separated, or * for any")]
    [InlineData("CORS_ALLOW_ORIGINS", "*,https://a.example", "invalid CORS_ALLOW_ORIGINS \"*,https://a.example\" (from the environment): * allows any origin and cannot be combined with a list; expected origins such as https://app.example.com or http://localhost:3000, comma-separated, or * for any")]
    [InlineData("SERVER_KIND", "vLLM", "invalid SERVER_KIND \"vLLM\" (from the environment): expected llamacpp, vllm, sglang, ollama or openai (the values of a profile's server_kind)")]
    [InlineData("CORS_ALLOW_ORIGINS", "chat.example.com", "invalid CORS_ALLOW_ORIGINS \"chat.example.com\" (from the environment): entry 'chat.example.com' is not an origin (scheme://host[:port], no path); expected origins such as https://app.example.com or http://localhost:3000, comma-separated, or * for any")]
    [InlineData("TRUSTED_PROXIES", "10.0.0.0/8,proxy.local", "invalid TRUSTED_PROXIES \"10.0.0.0/8,proxy.local\" (from the environment): entry 'proxy.local' is not an IPv4 or IPv6 address; expected IP addresses and CIDR ranges separated by commas (e.g. 10.0.0.0/8,192.168.1.5,::1,fd00::/8)")]
    [InlineData("TRUSTED_PROXIES", "10.0.0.1/8", "invalid TRUSTED_PROXIES \"10.0.0.1/8\" (from the environment): entry '10.0.0.1/8' has bits set past its /8 prefix (did you mean 10.0.0.0/8?); expected IP addresses and CIDR ranges separated by commas (e.g. 10.0.0.0/8,192.168.1.5,::1,fd00::/8)")]
    [InlineData("TRUSTED_PROXIES", "::1/129", "invalid TRUSTED_PROXIES \"::1/129\" (from the environment): entry '::1/129' has a prefix length that is not a whole number from 0 to 128; expected IP addresses and CIDR ranges separated by commas (e.g. 10.0.0.0/8,192.168.1.5,::1,fd00::/8)")]
    public void TryLoad_InvalidEnvironmentValue_OneLineErrorNamesSettingValueAndSyntax(string name, string value, string expected)
    {
        Assert.Equal(expected, LoadError([], new Dictionary<string, string> { [name] = value }));
    }

    [Theory]
    [InlineData("--port", "x", "invalid PORT \"x\" (from --port): expected a whole number from 0 to 65535 (0 picks any free port)")]
    [InlineData("--host", "a b", "invalid HOST \"a b\" (from --host): expected an IP address (0.0.0.0, ::, 127.0.0.1) or a host name (localhost)")]
    [InlineData("--target", "ftp://h/", "invalid TARGET_BASE_URL \"ftp://h/\" (from --target): expected an absolute http:// or https:// URL (e.g. http://localhost:8080/v1)")]
    public void TryLoad_InvalidOptionValue_ErrorNamesOption(string option, string value, string expected)
    {
        Assert.Equal(expected, LoadError([option, value]));
        Assert.Equal(expected, LoadError([$"{option}={value}"]));
    }

    [Fact]
    public void TryLoad_InvalidTargetWithPassword_ErrorHidesPassword()
    {
        string error = LoadError(["--target", "ftp://user:hunter2@h/v1"]);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
        Assert.Contains("ftp://***@h/v1", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_InvalidValueWithControlCharacters_EscapedAndTruncated()
    {
        string error = LoadError([], new Dictionary<string, string> { ["PORT"] = "1\u001b[31m" + new string('9', 200) });
        Assert.DoesNotContain('\u001b', error);
        Assert.Contains("1\\u001b[31m", error, StringComparison.Ordinal);
        Assert.Contains("...\"", error, StringComparison.Ordinal);
        Assert.True(error.Length < 200, error);
    }

    [Theory]
    [InlineData("health-check", "HealthCheck")]
    [InlineData("config", "Config")]
    public void TryLoad_Command_SetsCommandAndStillLoadsSettings(string command, string expectedName)
    {
        ProxyCommand expected = Enum.Parse<ProxyCommand>(expectedName);
        ProxySettings s = Load([command, "--port", "6100"]);
        Assert.Equal(expected, s.Command);
        Assert.Equal(6100, s.Port);

        ProxySettings after = Load(["--port", "6101", command]);
        Assert.Equal(expected, after.Command);
        Assert.Equal(6101, after.Port);
    }

    [Fact]
    public void TryLoad_HealthCheckWithPortZero_Error()
    {
        Assert.Equal(
            "health-check needs the running proxy's PORT (or --port); 0 means any free port, which cannot be checked from outside",
            LoadError(["health-check"], new Dictionary<string, string> { ["PORT"] = "0" }));
        Assert.Equal(0, Load(["config", "--port", "0"]).Port);
    }

    [Fact]
    public void TryLoad_EnvFilePathWithNul_Error()
    {
        Assert.Equal("--env-file: invalid path \"a\\u0000b\"", LoadError(["--env-file", "a\0b"]));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void TryLoad_Help_WinsOverBrokenEverything(string help)
    {
        _directory.Write(".env", "this is not a dotenv file\n");
        ProxySettings s = Load(["--bogus", "config", help, "--port"], new Dictionary<string, string> { ["PORT"] = "x" });
        Assert.Equal(ProxyCommand.Help, s.Command);
    }

    [Fact]
    public void TryLoad_Version_WinsOverBrokenSettings()
    {
        ProxySettings s = Load(["--port", "x", "--version"], new Dictionary<string, string> { ["DEBUG"] = "x" });
        Assert.Equal(ProxyCommand.Version, s.Command);
    }

    [Fact]
    public void TryLoad_HelpAndVersion_HelpWins()
    {
        Assert.Equal(ProxyCommand.Help, Load(["--version", "--help"]).Command);
    }

    [Theory]
    [InlineData(new[] { "--prot", "5000" }, "unknown option \"--prot\" (options: --host, --port, --target, --env-file, --demo, --version, --help)")]
    [InlineData(new[] { "--PORT=5000" }, "unknown option \"--PORT\" (options: --host, --port, --target, --env-file, --demo, --version, --help)")]
    [InlineData(new[] { "-p", "5000" }, "unknown option \"-p\" (options: --host, --port, --target, --env-file, --demo, --version, --help)")]
    [InlineData(new[] { "--" }, "unknown option \"--\" (options: --host, --port, --target, --env-file, --demo, --version, --help)")]
    [InlineData(new[] { "serve" }, "unknown command \"serve\" (commands: health-check, config; see --help)")]
    [InlineData(new[] { "config", "health-check" }, "only one command may be given, got \"health-check\" after another (commands: health-check, config)")]
    [InlineData(new[] { "--port" }, "option --port needs a value (e.g. --port 5000 or --port=5000)")]
    [InlineData(new[] { "--port", "--demo" }, "option --port needs a value (e.g. --port 5000 or --port=5000)")]
    [InlineData(new[] { "--host" }, "option --host needs a value (e.g. --host 127.0.0.1 or --host=127.0.0.1)")]
    [InlineData(new[] { "--target" }, "option --target needs a value (e.g. --target http://localhost:8080/v1 or --target=http://localhost:8080/v1)")]
    [InlineData(new[] { "--env-file" }, "option --env-file needs a value (e.g. --env-file ./.env or --env-file=./.env)")]
    [InlineData(new[] { "--port=" }, "option --port needs a non-empty value (e.g. --port 5000)")]
    [InlineData(new[] { "--host", "" }, "option --host needs a non-empty value (e.g. --host 127.0.0.1)")]
    [InlineData(new[] { "--demo=" }, "option --demo= needs true/false, 1/0 or yes/no (or --demo alone for true)")]
    [InlineData(new[] { "--demo", "true" }, "unknown command \"true\" (commands: health-check, config; see --help)")]
    [InlineData(new[] { "--demo=maybe" }, "invalid DEMO \"maybe\" (from --demo): expected true/false, 1/0 or yes/no")]
    public void TryLoad_BadCommandLine_ErrorNamesTheArgument(string[] args, string expected)
    {
        Assert.Equal(expected, LoadError(args));
    }

    [Fact]
    public void TryLoad_DemoFlag_TrueAndDemoFalseFlagOverridesEnvironment()
    {
        Assert.True(Load(["--demo"]).Demo);
        Assert.False(Load(["--demo=false"], new Dictionary<string, string> { ["DEMO"] = "true" }).Demo);
    }

    [Fact]
    public void TryLoad_DemoFlagWithTargetFlag_Error()
    {
        Assert.Equal(
            "--target cannot be combined with demo mode, which targets the embedded demo model (drop one of them)",
            LoadError(["--demo", "--target", "http://h/"]));
        Assert.Equal(
            "--target cannot be combined with demo mode, which targets the embedded demo model (drop one of them)",
            LoadError(["--target=http://h/"], new Dictionary<string, string> { ["DEMO"] = "1" }));
    }

    [Fact]
    public void TryLoad_DemoWithTargetFromEnvFile_Allowed()
    {
        _directory.Write(".env", "TARGET_BASE_URL=http://llama:8080\n");
        ProxySettings s = Load(["--demo"]);
        Assert.True(s.Demo);
        Assert.Equal("http://llama:8080/", s.TargetBaseUrl.AbsoluteUri);
    }

    [Fact]
    public void TryLoad_OptionGivenTwice_LastWins()
    {
        Assert.Equal(6002, Load(["--port", "6001", "--port=6002"]).Port);
    }

    [Fact]
    public void TryLoad_BracketedIpv6Host_StoredWithoutBrackets()
    {
        Assert.Equal("::1", Load(["--host", "[::1]"]).Host);
    }

    [Fact]
    public void TryLoad_SeedDotEnvExample_Parses()
    {
        // The seed's .env.example shapes (ORIGINAL_README.md), including the Qwen3 line's escapes.
        _directory.Write(".env", """
            # Target API
            TARGET_BASE_URL=http://your-model-server:8080/
            DEBUG=false
            API_REQUEST_TIMEOUT=3000
            LLM_PARAMS=model=default,temperature=0.7,think_tag_start=<default_think>,think_tag_end=</default_think>
            # LLM_PARAMS=model=hf.co/unsloth/Qwen3-14B-GGUF:Q6_K_XL,think_tag_start=\u003cthink\u003e,think_tag_end=\u003c/think\u003e\n\n
            THINK_TAG=<think>
            THINK_END_TAG=</think>
            HOST_PORT=5000
            """);
        ProxySettings s = Load([]);
        Assert.Equal("http://your-model-server:8080/", s.TargetBaseUrl.AbsoluteUri);
        Assert.Equal(TimeSpan.FromSeconds(3000), s.ApiRequestTimeout);
        Assert.Equal("model=default,temperature=0.7,think_tag_start=<default_think>,think_tag_end=</default_think>", s.LlmParams);
        Assert.Equal("<think>", s.ThinkTag);
        Assert.Equal("</think>", s.ThinkEndTag);
    }
}
