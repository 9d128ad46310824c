using System.Net;
using CotProxy.Api;
using CotProxy.Configuration;
using CotProxy.Demo;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy;

/// <summary>
/// The running proxy, built from settings: the demo model when asked for, the one shared upstream handler, the
/// forwarder, the endpoints and the listening server. Program.cs starts it, and so does every test that needs a proxy.
/// </summary>
internal sealed class ProxyHost : IAsyncDisposable
{
    /// <summary>The <c>upstream</c> label of TARGET_BASE_URL (or the demo model): the one upstream there is.</summary>
    public const string DefaultUpstreamName = "default";

    private readonly HttpServer _server;
    private readonly ProxyHandler _handler;
    private readonly HttpServer? _demo;
    private readonly HttpMessageInvoker _invoker;

    private ProxyHost(HttpServer server, ProxyHandler handler, HttpServer? demo, HttpMessageInvoker invoker, Uri target)
    {
        _server = server;
        _handler = handler;
        _demo = demo;
        _invoker = invoker;
        Target = target;
    }

    /// <summary>Where the proxy listens (the port the kernel chose when the settings said 0).</summary>
    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>The upstream base URL requests go to: TARGET_BASE_URL, or the demo model's.</summary>
    public Uri Target { get; }

    /// <summary>
    /// The model profiles of LLM_PARAMS and what they do to responses. Throws <see cref="ProfileParseException"/> or
    /// <see cref="FormatException"/> with a message naming the setting when either is malformed.
    /// </summary>
    public static (ProfileSet Profiles, ResponsePolicy Responses) LoadProfiles(ProxySettings settings, List<string> warnings)
    {
        var profiles = ProfileSet.Parse(settings.LlmParams, warnings);
        return (profiles, new ResponsePolicy(profiles, settings.EnableThinkTagFiltering, settings.ThinkTag, settings.ThinkEndTag, settings.ThinkMode));
    }

    /// <summary>
    /// Starts the proxy on <paramref name="endpoint"/>. Profiles are read from the settings unless given. Throws
    /// <see cref="System.Net.Sockets.SocketException"/> when the endpoint cannot be bound.
    /// <paramref name="healthTimeout"/> and <paramref name="thinkKeepAlive"/> override the fixed 5 s health probe and
    /// THINK_KEEPALIVE_SECONDS with finer values, for tests that must not wait seconds.
    /// </summary>
    public static ProxyHost Start(ProxySettings settings, IPEndPoint endpoint, ProfileSet? profiles = null, ResponsePolicy? responses = null, TimeSpan? healthTimeout = null, TimeSpan? thinkKeepAlive = null)
    {
        if (profiles is null || responses is null)
        {
            (profiles, responses) = LoadProfiles(settings, []);
        }

        var limits = new HttpLimits
        {
            MaxRequestBodyBytes = settings.MaxRequestBodyBytes,
            RequestHeadersTimeout = settings.RequestHeadersTimeout,
            RequestBodyTimeout = settings.RequestBodyTimeout,
            KeepAliveTimeout = settings.KeepAliveTimeout,
        };

        HttpServer? demo = null;
        var target = settings.TargetBaseUrl;
        if (settings.Demo)
        {
            demo = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), new DemoHandler(), limits, OpenAiErrorWriter.Instance, name: "demo");
            demo.Start();
            target = new Uri($"http://127.0.0.1:{demo.LocalEndPoint.Port}/v1/");
        }

        var options = new UpstreamOptions
        {
            TargetBaseUrl = target,
            ApiRequestTimeout = settings.ApiRequestTimeout,
            ConnectTimeout = settings.ConnectTimeout,
            HealthTimeout = healthTimeout ?? UpstreamOptions.DefaultHealthTimeout,
            TrustedProxies = new TrustedProxies(settings.TrustedProxies),
            Credentials = Credentials(settings),
        };
        var invoker = UpstreamClient.Create(settings.ConnectTimeout);
        var metrics = new ProxyMetrics(ModelLabels(profiles));
        var forwarder = new Forwarder(invoker, options, OpenAiErrorWriter.Instance, metrics.Upstream(DefaultUpstreamName));
        var cors = settings.CorsAllowOrigins.Count > 0 ? new CorsPolicy(settings.CorsAllowOrigins) : null;
        var keys = settings.AllProxyApiKeys.Count > 0 ? new ApiKeys(settings.AllProxyApiKeys) : null;
        var handler = new ProxyHandler(forwarder, profiles, responses, thinkKeepAlive ?? TimeSpan.FromSeconds(settings.ThinkKeepAliveSeconds), settings.MaxFilteredBodyBytes, cors, keys, metrics);
        try
        {
            var server = new HttpServer(endpoint, handler, limits, OpenAiErrorWriter.Instance, metrics: metrics);
            server.Start();
            return new ProxyHost(server, handler, demo, invoker, target);
        }
        catch
        {
            invoker.Dispose();
            demo?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// The <c>model</c> labels of the metrics: every profile's name that is one model (not the <c>*</c> profile, not a
    /// glob) and every upstream model a profile maps to. Any other name is counted as <c>other</c>.
    /// </summary>
    private static IEnumerable<string> ModelLabels(ProfileSet profiles)
    {
        foreach (var profile in profiles.Profiles)
        {
            if (profile.Name.AsSpan().IndexOfAny('*', '?') < 0)
            {
                yield return profile.Name;
            }

            if (profile.UpstreamModelName is { } upstreamModel)
            {
                yield return upstreamModel;
            }
        }
    }

    /// <summary>TARGET_API_KEY in its header (Authorization as "Bearer KEY"); with PROXY_API_KEYS, the client's keys stay here.</summary>
    private static UpstreamCredentials Credentials(ProxySettings settings)
    {
        var dropClientKeys = settings.AllProxyApiKeys.Count > 0;
        if (settings.TargetApiKey is not { Length: > 0 } key)
        {
            return dropClientKeys ? new UpstreamCredentials(null, null, dropClientKeys: true) : UpstreamCredentials.None;
        }

        var header = settings.TargetApiKeyHeader;
        var value = header.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? "Bearer " + key : key;
        return new UpstreamCredentials(header, value, dropClientKeys);
    }

    /// <summary>Stops accepting, lets in-flight requests finish within <paramref name="drainTimeout"/>, then stops the demo model.</summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        _handler.BeginDraining();
        await _server.StopAsync(drainTimeout);
        if (_demo is not null)
        {
            await _demo.StopAsync(TimeSpan.FromSeconds(1));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        if (_demo is not null)
        {
            await _demo.DisposeAsync();
        }

        _invoker.Dispose();
    }
}
