using System.Net;
using CotProxy.Filtering;

namespace CotProxy.Configuration;

/// <summary>
/// The effective settings of one process. Immutable; every init accessor validates its value, so
/// an instance built in code (tests, the demo) obeys the same ranges as one loaded by
/// <see cref="SettingsLoader"/>. <c>new ProxySettings()</c> holds the documented defaults.
/// </summary>
internal sealed class ProxySettings
{
    public const string DefaultHost = "0.0.0.0";
    public const int DefaultPort = 5000;
    public const int MaxPort = 65535;
    public const int DefaultMaxRequestBodyMegabytes = 32;
    public const int MinMaxRequestBodyMegabytes = 1;
    public const int MaxMaxRequestBodyMegabytes = 4096;
    public const int DefaultMaxFilteredBodyMegabytes = 64;
    public const int MaxMaxFilteredBodyMegabytes = 1024;
    public const int DefaultThinkKeepAliveSeconds = 15;
    public const int MaxThinkKeepAliveSeconds = 3600;

    /// <summary>The seed's think tags, used when neither THINK_TAG/THINK_END_TAG nor a profile sets one.</summary>
    public const string DefaultThinkTag = ResponseRewriteOptions.DefaultStartTag;
    public const string DefaultThinkEndTag = ResponseRewriteOptions.DefaultEndTag;

    public static readonly Uri DefaultTargetBaseUrl = new("https://api.openai.com/v1/");
    public static readonly TimeSpan DefaultApiRequestTimeout = TimeSpan.FromSeconds(3000);
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRequestHeadersTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRequestBodyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>nginx's keepalive_timeout default.</summary>
    public static readonly TimeSpan DefaultKeepAliveTimeout = TimeSpan.FromSeconds(75);

    private static readonly IReadOnlyDictionary<string, SettingSource> s_noSources = new Dictionary<string, SettingSource>();

    private readonly string _host = DefaultHost;
    private readonly int _port = DefaultPort;
    private readonly Uri _targetBaseUrl = DefaultTargetBaseUrl;
    private readonly TimeSpan _apiRequestTimeout = DefaultApiRequestTimeout;
    private readonly TimeSpan _connectTimeout = DefaultConnectTimeout;
    private readonly long _maxRequestBodyBytes = DefaultMaxRequestBodyMegabytes * 1024L * 1024L;
    private readonly int _maxFilteredBodyBytes = DefaultMaxFilteredBodyMegabytes * 1024 * 1024;
    private readonly TimeSpan _shutdownTimeout = DefaultShutdownTimeout;
    private readonly TimeSpan _requestHeadersTimeout = DefaultRequestHeadersTimeout;
    private readonly TimeSpan _requestBodyTimeout = DefaultRequestBodyTimeout;
    private readonly TimeSpan _keepAliveTimeout = DefaultKeepAliveTimeout;
    private readonly int _thinkKeepAliveSeconds = DefaultThinkKeepAliveSeconds;

    public ProxyCommand Command { get; init; }

    /// <summary>HOST / --host: listen address; IPv6 brackets removed.</summary>
    public string Host
    {
        get => _host;
        init => _host = SettingValueParser.TryParseHost(value, out string host)
            ? host
            : throw new ArgumentException(SettingValueParser.HostSyntax, nameof(value));
    }

    /// <summary>PORT / --port: 1..65535, or 0 for any free port.</summary>
    public int Port
    {
        get => _port;
        init => _port = CheckRange(value, 0, MaxPort);
    }

    /// <summary>TARGET_BASE_URL / --target: absolute http(s) URL whose path ends with '/'.</summary>
    public Uri TargetBaseUrl
    {
        get => _targetBaseUrl;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _targetBaseUrl = SettingValueParser.TryNormalizeTargetUrl(value, value.OriginalString, out Uri url, out string reason)
                ? url
                : throw new ArgumentException(reason, nameof(value));
        }
    }

    /// <summary>--demo / DEMO: serve the embedded fake reasoning model and target it.</summary>
    public bool Demo { get; init; }

    /// <summary>DEBUG: log headers and bodies (truncated, secrets redacted).</summary>
    public bool Debug { get; init; }

    /// <summary>LOG_FORMAT=json: one JSON object per log line; false (text) is the default.</summary>
    public bool LogJson { get; init; }

    /// <summary>API_REQUEST_TIMEOUT: wait for upstream response headers and each silence between body reads.</summary>
    public TimeSpan ApiRequestTimeout
    {
        get => _apiRequestTimeout;
        init => _apiRequestTimeout = CheckDuration(value);
    }

    /// <summary>CONNECT_TIMEOUT: TCP + TLS connect to the upstream.</summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        init => _connectTimeout = CheckDuration(value);
    }

    /// <summary>MAX_REQUEST_BODY_MB in bytes (MiB × 1048576); larger request bodies get 413.</summary>
    public long MaxRequestBodyBytes
    {
        get => _maxRequestBodyBytes;
        init => _maxRequestBodyBytes = CheckMebibytes(value, MaxMaxRequestBodyMegabytes);
    }

    /// <summary>
    /// MAX_FILTERED_BODY_MB in bytes: the largest whole JSON body, SSE event or NDJSON line the thinking filter holds.
    /// A larger whole body gets 502; a stream with a larger event ends with an SSE error event.
    /// </summary>
    public int MaxFilteredBodyBytes
    {
        get => _maxFilteredBodyBytes;
        init => _maxFilteredBodyBytes = (int)CheckMebibytes(value, MaxMaxFilteredBodyMegabytes);
    }

    /// <summary>SHUTDOWN_TIMEOUT: how long in-flight requests may finish after SIGTERM, SIGINT or SIGQUIT.</summary>
    public TimeSpan ShutdownTimeout
    {
        get => _shutdownTimeout;
        init => _shutdownTimeout = CheckDuration(value);
    }

    /// <summary>REQUEST_HEADERS_TIMEOUT: a request head not complete in time gets 408 and close (slowloris).</summary>
    public TimeSpan RequestHeadersTimeout
    {
        get => _requestHeadersTimeout;
        init => _requestHeadersTimeout = CheckDuration(value);
    }

    /// <summary>REQUEST_BODY_TIMEOUT: longest silence while a request body arrives.</summary>
    public TimeSpan RequestBodyTimeout
    {
        get => _requestBodyTimeout;
        init => _requestBodyTimeout = CheckDuration(value);
    }

    /// <summary>KEEP_ALIVE_TIMEOUT: an idle keep-alive connection is closed after this long.</summary>
    public TimeSpan KeepAliveTimeout
    {
        get => _keepAliveTimeout;
        init => _keepAliveTimeout = CheckDuration(value);
    }

    /// <summary>LLM_PARAMS raw text (model profiles, parsed elsewhere); null when unset or empty.</summary>
    public string? LlmParams { get; init; }

    /// <summary>THINK_TAG raw text (escape-decoded elsewhere); null = <see cref="DefaultThinkTag"/>.</summary>
    public string? ThinkTag { get; init; }

    /// <summary>THINK_END_TAG raw text; null = <see cref="DefaultThinkEndTag"/>.</summary>
    public string? ThinkEndTag { get; init; }

    /// <summary>ENABLE_THINK_TAG_FILTERING: remove think blocks from responses.</summary>
    public bool EnableThinkTagFiltering { get; init; }

    /// <summary>THINK_MODE: the mode of every filtered model whose profile names none. It does not turn filtering on.</summary>
    public ThinkMode ThinkMode { get; init; } = ThinkMode.Strip;

    /// <summary>THINK_KEEPALIVE_SECONDS: 0..3600, 0 = never.</summary>
    public int ThinkKeepAliveSeconds
    {
        get => _thinkKeepAliveSeconds;
        init => _thinkKeepAliveSeconds = CheckRange(value, 0, MaxThinkKeepAliveSeconds);
    }

    /// <summary>TRUSTED_PROXIES: the peers whose X-Forwarded-Proto, X-Forwarded-Host and X-Real-IP are passed on.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    /// <summary>PROXY_API_KEYS: keys a client may send.</summary>
    public IReadOnlyList<string> ProxyApiKeys { get; init; } = [];

    /// <summary>PROXY_API_KEYS_FILE as given; null = none.</summary>
    public string? ProxyApiKeysFile { get; init; }

    /// <summary>The keys read from <see cref="ProxyApiKeysFile"/>.</summary>
    public IReadOnlyList<string> ProxyApiKeysFromFile { get; init; } = [];

    /// <summary>Every key a client may send (both settings); empty = no key needed.</summary>
    public IReadOnlyList<string> AllProxyApiKeys => [.. ProxyApiKeys, .. ProxyApiKeysFromFile];

    /// <summary>TARGET_API_KEY: the target's own key, sent in <see cref="TargetApiKeyHeader"/>; null = none.</summary>
    public string? TargetApiKey { get; init; }

    /// <summary>TARGET_API_KEY_HEADER: the header TARGET_API_KEY goes in; Authorization gets "Bearer KEY".</summary>
    public string TargetApiKeyHeader { get; init; } = "Authorization";

    /// <summary>CORS_ALLOW_ORIGINS: serialized origins (scheme://host[:port]) or the one entry "*"; empty = CORS off.</summary>
    public IReadOnlyList<string> CorsAllowOrigins { get; init; } = [];

    /// <summary>HTTPS_PROXY (or https_proxy): the proxy for https upstreams, user-info included; null = direct.</summary>
    public Uri? HttpsProxy { get; init; }

    /// <summary>HTTP_PROXY (or http_proxy): the proxy for http upstreams; null = direct.</summary>
    public Uri? HttpProxy { get; init; }

    /// <summary>NO_PROXY (or no_proxy) as given: the hosts reached directly; null = none.</summary>
    public string? NoProxy { get; init; }

    /// <summary>SSL_CERT_FILE: full path of the PEM file whose CAs upstream TLS trusts instead of the system's; null = system.</summary>
    public string? SslCertFile { get; init; }
    /// <summary>SERVER_KIND: llamacpp, vllm, sglang, ollama or openai (lower case); null = detected from the upstream.</summary>
    public string? ServerKind { get; init; }

    /// <summary>Full path of the .env file actually read, or null when none was.</summary>
    public string? EnvFileUsed { get; init; }

    /// <summary>The config file named by COT_CONFIG, read and checked; null when none.</summary>
    public ConfigFile? ConfigFile { get; init; }

    /// <summary>The config file's upstreams (empty without one): with one, it is <see cref="TargetBaseUrl"/>.</summary>
    public IReadOnlyList<UpstreamSettings> Upstreams => ConfigFile?.Upstreams ?? [];

    /// <summary>What loading found worth a warning but not worth refusing to start (an unknown .env key...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Where each setting (keyed by its environment variable name) came from; absent = default.</summary>
    public IReadOnlyDictionary<string, SettingSource> Sources { get; init; } = s_noSources;

    /// <summary>
    /// Where <c>cot-proxy health-check</c> finds this proxy's <c>/health</c> from the same machine:
    /// the wildcard listen addresses (0.0.0.0, ::) become loopback (127.0.0.1, [::1]). Meaningless
    /// when <see cref="Port"/> is 0, which the loader refuses for the health-check command.
    /// </summary>
    public Uri HealthCheckUrl
    {
        get
        {
            string host = Host switch
            {
                "0.0.0.0" => "127.0.0.1",
                "::" or "::0" => "[::1]",
                _ when Host.Contains(':', StringComparison.Ordinal) => "[" + Host + "]",
                _ => Host,
            };
            return new Uri($"http://{host}:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}/health");
        }
    }

    /// <summary>The layer the named setting (e.g. "PORT") came from.</summary>
    public SettingSource SourceOf(string name) =>
        Sources.TryGetValue(name, out SettingSource source) ? source : SettingSource.Default;

    private static int CheckRange(int value, int min, int max) =>
        value >= min && value <= max ? value : throw new ArgumentOutOfRangeException(nameof(value), value, $"expected {min} to {max}");

    private static long CheckMebibytes(long value, int maxMegabytes) =>
        value >= 1024L * 1024L && value <= maxMegabytes * 1024L * 1024L
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"expected 1 MiB to {maxMegabytes} MiB");

    private static TimeSpan CheckDuration(TimeSpan value) =>
        value > TimeSpan.Zero && value.TotalMilliseconds <= SettingValueParser.MaxDurationMilliseconds
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, SettingValueParser.DurationSyntax);
}
