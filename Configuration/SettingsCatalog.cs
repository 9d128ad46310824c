namespace CotProxy.Configuration;

/// <summary>Every setting in the order help and <c>config</c> show them.</summary>
internal static class SettingsCatalog
{
    public static IReadOnlyList<SettingInfo> All { get; } =
    [
        new(SettingNames.Host, "--host", ProxySettings.DefaultHost,
            "Listen address: an IP address (0.0.0.0 = all IPv4, :: = all) or a host name."),
        new(SettingNames.Port, "--port", "5000",
            "Listen port, 1-65535; 0 picks any free port."),
        new(SettingNames.TargetBaseUrl, "--target", ProxySettings.DefaultTargetBaseUrl.AbsoluteUri,
            "Upstream OpenAI-compatible base URL (http or https); request paths are joined onto it."),
        new(SettingNames.Demo, "--demo", "false",
            "Serve an embedded fake reasoning model on loopback and target it."),
        new(SettingNames.Debug, null, "false",
            "Log headers and bodies (truncated; Authorization and API keys redacted)."),
        new(SettingNames.ApiRequestTimeout, null, "3000",
            "Seconds to wait for upstream response headers and for each silence in its body."),
        new(SettingNames.ConnectTimeout, null, "10",
            "Seconds to connect to the upstream (TCP and TLS); then 504."),
        new(SettingNames.MaxRequestBodyMb, null, "32",
            "Largest request body in MiB (1-4096); larger gets 413."),
        new(SettingNames.MaxFilteredBodyMb, null, "64",
            "Largest JSON body, SSE event or NDJSON line in MiB (1-1024) the thinking filter holds; larger gets 502."),
        new(SettingNames.ShutdownTimeout, null, "30",
            "Seconds in-flight requests may finish after SIGTERM, SIGINT or SIGQUIT."),
        new(SettingNames.RequestHeadersTimeout, null, "30",
            "Seconds a client has to send a request's headers; then 408 and close."),
        new(SettingNames.RequestBodyTimeout, null, "30",
            "Longest silence in seconds while a request body arrives; then 408 and close."),
        new(SettingNames.KeepAliveTimeout, null, "75",
            "Seconds an idle keep-alive connection stays open (as nginx)."),
        new(SettingNames.TrustedProxies, null, "(none)",
            "IP addresses and CIDR ranges, comma-separated, whose X-Forwarded-Proto/-Host and X-Real-IP are kept."),
        new(SettingNames.LlmParams, null, "(none)",
            "Model profiles: key=value pairs separated by ',', profiles by ';' (model=... first)."),
        new(SettingNames.ThinkTag, null, ProxySettings.DefaultThinkTag,
            "Start tag of the reasoning block; a profile's think_tag_start overrides it."),
        new(SettingNames.ThinkEndTag, null, ProxySettings.DefaultThinkEndTag,
            "End tag of the reasoning block; a profile's think_tag_end overrides it."),
        new(SettingNames.EnableThinkTagFiltering, null, "false",
            "Remove the reasoning block from responses for every model."),
        new(SettingNames.ThinkMode, null, "strip",
            "Mode of every filtered model whose profile names no think_mode: strip, split or keep."),
        new(SettingNames.ThinkKeepAliveSeconds, null, "15",
            "While hidden reasoning streams, send a keep-alive every N seconds (0-3600, 0 = never)."),
    ];
}
