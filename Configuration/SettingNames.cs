namespace CotProxy.Configuration;

/// <summary>The environment variable (and .env key) of every setting.</summary>
internal static class SettingNames
{
    public const string Host = "HOST";
    public const string Port = "PORT";
    public const string TargetBaseUrl = "TARGET_BASE_URL";
    public const string Demo = "DEMO";
    public const string Debug = "DEBUG";
    public const string LogFormat = "LOG_FORMAT";
    public const string ApiRequestTimeout = "API_REQUEST_TIMEOUT";
    public const string ConnectTimeout = "CONNECT_TIMEOUT";
    public const string MaxRequestBodyMb = "MAX_REQUEST_BODY_MB";
    public const string MaxFilteredBodyMb = "MAX_FILTERED_BODY_MB";
    public const string ShutdownTimeout = "SHUTDOWN_TIMEOUT";
    public const string RequestHeadersTimeout = "REQUEST_HEADERS_TIMEOUT";
    public const string RequestBodyTimeout = "REQUEST_BODY_TIMEOUT";
    public const string KeepAliveTimeout = "KEEP_ALIVE_TIMEOUT";
    public const string LlmParams = "LLM_PARAMS";
    public const string ThinkTag = "THINK_TAG";
    public const string ThinkEndTag = "THINK_END_TAG";
    public const string EnableThinkTagFiltering = "ENABLE_THINK_TAG_FILTERING";
    public const string ThinkKeepAliveSeconds = "THINK_KEEPALIVE_SECONDS";
    public const string ThinkMode = "THINK_MODE";
    public const string TrustedProxies = "TRUSTED_PROXIES";
    public const string CorsAllowOrigins = "CORS_ALLOW_ORIGINS";
    public const string ServerKind = "SERVER_KIND";
    public const string ProxyApiKeys = "PROXY_API_KEYS";
    public const string ProxyApiKeysFile = "PROXY_API_KEYS_FILE";
    public const string TargetApiKey = "TARGET_API_KEY";
    public const string TargetApiKeyHeader = "TARGET_API_KEY_HEADER";

    // How upstreams are reached, named as curl and most clients name them (each also read in lower case).
    public const string HttpsProxy = "HTTPS_PROXY";
    public const string HttpProxy = "HTTP_PROXY";
    public const string NoProxy = "NO_PROXY";
    public const string SslCertFile = "SSL_CERT_FILE";
    public const string CotConfig = "COT_CONFIG";
}
