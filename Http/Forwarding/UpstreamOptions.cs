namespace CotProxy.Http.Forwarding;

/// <summary>Where requests go and how long the proxy waits on the upstream.</summary>
internal sealed record UpstreamOptions
{
    /// <summary>How long <c>/health</c> waits for the target.</summary>
    public static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(5);

    public required Uri TargetBaseUrl { get; init; }

    /// <summary>What <see cref="ApiRequestTimeout"/> is called in error messages when it is the setting's value.</summary>
    public const string DefaultTimeoutSetting = "API_REQUEST_TIMEOUT";

    /// <summary>The setting error messages name for <see cref="TargetBaseUrl"/>.</summary>
    public string BaseUrlSetting { get; init; } = "TARGET_BASE_URL";

    /// <summary>The setting error messages name for <see cref="ApiRequestTimeout"/>.</summary>
    public string TimeoutSetting { get; init; } = DefaultTimeoutSetting;

    /// <summary>The upstream's name in the config file; <c>default</c> for TARGET_BASE_URL alone.</summary>
    public string Name { get; init; } = "default";

    /// <summary>max_concurrent: the most requests it gets at once; null = no cap.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>How many more may wait for a slot; null = <see cref="ConcurrencyGate.DefaultQueueFactor"/> × max_concurrent.</summary>
    public int? MaxQueued { get; init; }

    /// <summary>Bounds the wait for response headers and every silence between body reads, not a healthy stream's length.</summary>
    public TimeSpan ApiRequestTimeout { get; init; } = TimeSpan.FromSeconds(3000);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan HealthTimeout { get; init; } = DefaultHealthTimeout;

    /// <summary>TRUSTED_PROXIES: peers whose own forwarding headers are passed on (see <see cref="UpstreamRequest"/>).</summary>
    public TrustedProxies TrustedProxies { get; init; } = TrustedProxies.None;

    /// <summary>The upstream's own key, and whether the client's keys stay behind (PROXY_API_KEYS).</summary>
    public UpstreamCredentials Credentials { get; init; } = UpstreamCredentials.None;
}
