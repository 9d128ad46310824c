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
    private readonly HttpServer _server;
    private readonly SwitchingHandler _handler;
    private readonly HttpServer? _demo;
    private readonly HttpMessageInvoker _invoker;
    private readonly TimeSpan? _healthTimeout;
    private readonly TimeSpan? _thinkKeepAlive;
    private readonly ProxyMetrics _metrics;

    private ProxyHost(HttpServer server, SwitchingHandler handler, HttpServer? demo, HttpMessageInvoker invoker, Uri target, TimeSpan? healthTimeout, TimeSpan? thinkKeepAlive, ProxyMetrics metrics)
    {
        _metrics = metrics;
        _healthTimeout = healthTimeout;
        _thinkKeepAlive = thinkKeepAlive;
        _server = server;
        _handler = handler;
        _demo = demo;
        _invoker = invoker;
        Target = target;
    }

    /// <summary>Where the proxy listens (the port the kernel chose when the settings said 0).</summary>
    public IPEndPoint LocalEndPoint => _server.LocalEndPoint;

    /// <summary>The default upstream's base URL: TARGET_BASE_URL (or the config file's default upstream), or the demo model's.</summary>
    public Uri Target { get; }

    /// <summary>
    /// The model profiles of LLM_PARAMS and what they do to responses. Throws <see cref="ProfileParseException"/> or
    /// <see cref="FormatException"/> with a message naming the setting when either is malformed.
    /// </summary>
    public static (ProfileSet Profiles, ResponsePolicy Responses) LoadProfiles(ProxySettings settings, List<string> warnings)
    {
        // With a config file its profiles are the profiles (the loader refuses LLM_PARAMS beside it).
        var profiles = settings.ConfigFile?.Profiles ?? ProfileSet.Parse(settings.LlmParams, warnings);
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

        var invoker = UpstreamClient.Create(settings.ConnectTimeout, settings.Demo ? null : Proxy(settings), TrustedRoots(settings));
        // One set of metrics for the process: a reload keeps counting into it (its model labels are those at start).
        var metrics = new ProxyMetrics(ModelLabels(profiles));
        var handler = new SwitchingHandler(BuildHandler(settings, profiles, responses, invoker, target, healthTimeout, thinkKeepAlive, metrics));
        try
        {
            var server = new HttpServer(endpoint, handler, limits, OpenAiErrorWriter.Instance, metrics: metrics);
            server.Start();
            return new ProxyHost(server, handler, demo, invoker, target, healthTimeout, thinkKeepAlive, metrics);
        }
        catch
        {
            invoker.Dispose();
            demo?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// Takes reloaded settings (COT_CONFIG and .env read again): requests from now on get a handler built from them;
    /// requests in flight finish on the one they started with. The listener, its limits and the upstream connection
    /// pool stay (the caller logs which changed settings need a restart); the demo model stays the target in demo mode.
    /// </summary>
    public void Reload(ProxySettings settings, ProfileSet profiles, ResponsePolicy responses)
    {
        var target = _demo is null ? settings.TargetBaseUrl : Target;
        _handler.Swap(BuildHandler(settings, profiles, responses, _invoker, target, _healthTimeout, _thinkKeepAlive, _metrics));
    }

    /// <summary>The handler of one configuration: its upstreams (target, key, timeouts), profiles, CORS and keys.</summary>
    private static ProxyHandler BuildHandler(ProxySettings settings, ProfileSet profiles, ResponsePolicy responses, HttpMessageInvoker invoker, Uri target, TimeSpan? healthTimeout, TimeSpan? thinkKeepAlive, ProxyMetrics metrics)
    {
        var upstreams = BuildUpstreams(settings, invoker, target, healthTimeout, metrics);
        var cors = settings.CorsAllowOrigins.Count > 0 ? new CorsPolicy(settings.CorsAllowOrigins) : null;
        var keys = settings.AllProxyApiKeys.Count > 0 ? new ApiKeys(settings.AllProxyApiKeys) : null;
        return new ProxyHandler(upstreams, profiles, responses, thinkKeepAlive ?? TimeSpan.FromSeconds(settings.ThinkKeepAliveSeconds), settings.MaxFilteredBodyBytes, cors, keys, ServerKindSetting(settings), metrics);
    }

    /// <summary>
    /// One forwarder per upstream, all over the one shared handler. TARGET_BASE_URL alone (or the demo model) is the one
    /// upstream, named <c>default</c>, as is a config file's only upstream (the settings loader made it TARGET_*); of
    /// several, each takes its own base URL, key and timeout from the file.
    /// </summary>
    private static UpstreamSet BuildUpstreams(ProxySettings settings, HttpMessageInvoker invoker, Uri target, TimeSpan? healthTimeout, ProxyMetrics metrics)
    {
        var dropClientKeys = settings.AllProxyApiKeys.Count > 0;
        var configured = settings.Demo ? [] : settings.Upstreams;
        var chosen = configured.Count > 0 ? SettingsLoader.DefaultUpstream(configured) : null;
        if (configured.Count <= 1)
        {
            var onlyOptions = Options(chosen?.Name ?? SettingsLoader.DefaultUpstreamName, target, settings.ApiRequestTimeout, Credentials(settings.TargetApiKey, settings.TargetApiKeyHeader, dropClientKeys), chosen?.MaxConcurrent);
            var only = new Forwarder(invoker, onlyOptions, OpenAiErrorWriter.Instance, metrics.Upstream(onlyOptions.Name));
            return new UpstreamSet([only], only);
        }

        var all = new List<Forwarder>(configured.Count);
        Forwarder? defaultUpstream = null;
        foreach (var upstream in configured)
        {
            var options = Options(upstream.Name, upstream.BaseUrl, upstream.Timeout ?? settings.ApiRequestTimeout, Credentials(upstream.ApiKey, upstream.ApiKeyHeader, dropClientKeys), upstream.MaxConcurrent) with
            {
                BaseUrlSetting = $"upstream `{upstream.Name}`'s base_url",
                TimeoutSetting = upstream.Timeout is null ? UpstreamOptions.DefaultTimeoutSetting : $"upstream `{upstream.Name}`'s timeout",
            };
            var forwarder = new Forwarder(invoker, options, OpenAiErrorWriter.Instance, metrics.Upstream(upstream.Name));
            all.Add(forwarder);
            if (upstream == chosen)
            {
                defaultUpstream = forwarder;
            }
        }

        Log.Info($"{all.Count} upstreams ({string.Join(", ", configured.Select(u => u.Name))}); the default, for models no profile routes and paths without a model: `{chosen!.Name}` at {LogRedaction.Url(chosen.BaseUrl)} ({(chosen.Name == SettingsLoader.DefaultUpstreamName ? "named default" : "the first in the file")})");
        return new UpstreamSet(all, defaultUpstream!);

        UpstreamOptions Options(string name, Uri baseUrl, TimeSpan timeout, UpstreamCredentials credentials, int? maxConcurrent) => new()
        {
            Name = name,
            TargetBaseUrl = baseUrl,
            ApiRequestTimeout = timeout,
            ConnectTimeout = settings.ConnectTimeout,
            HealthTimeout = healthTimeout ?? UpstreamOptions.DefaultHealthTimeout,
            TrustedProxies = new TrustedProxies(settings.TrustedProxies),
            Credentials = credentials,
            MaxConcurrent = maxConcurrent,
        };
    }

    /// <summary>
    /// HTTPS_PROXY / HTTP_PROXY / NO_PROXY, or null when neither proxy is set; logged, user-info masked. The demo model
    /// is on loopback in this process and never goes through a proxy.
    /// </summary>
    private static UpstreamProxy? Proxy(ProxySettings settings)
    {
        if (settings.HttpsProxy is null && settings.HttpProxy is null)
        {
            return null;
        }

        Log.Info($"upstream proxy: https {Shown(settings.HttpsProxy)} (HTTPS_PROXY), http {Shown(settings.HttpProxy)} (HTTP_PROXY), direct for NO_PROXY={(string.IsNullOrEmpty(settings.NoProxy) ? "(none)" : settings.NoProxy)}");
        return new UpstreamProxy(settings.HttpsProxy, settings.HttpProxy, settings.NoProxy);

        static string Shown(Uri? proxy) => proxy is null ? "direct" : "via " + LogRedaction.Url(proxy);
    }

    /// <summary>SSL_CERT_FILE's certificates, logged; null = the system's CA store.</summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TrustedRoots(ProxySettings settings)
    {
        if (settings.SslCertFile is not { } caFile)
        {
            return null;
        }

        var roots = UpstreamClient.LoadCertificates(caFile);
        Log.Info($"upstream TLS trusts only the {roots.Count} CA certificate(s) in {caFile} (SSL_CERT_FILE), not the system's");
        return roots;
    }

    /// <summary>SERVER_KIND, checked by the settings loader: the upstream's kind for the thinking switch, else detected.</summary>
    private static ServerKind? ServerKindSetting(ProxySettings settings) =>
        settings.ServerKind is { } text && ThinkingNames.TryParseServerKind(text, out var kind) ? kind : null;

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

    /// <summary>An upstream's key in its header (Authorization as "Bearer KEY"); with PROXY_API_KEYS, the client's keys stay here.</summary>
    private static UpstreamCredentials Credentials(string? key, string header, bool dropClientKeys)
    {
        if (key is not { Length: > 0 })
        {
            return dropClientKeys ? new UpstreamCredentials(null, null, dropClientKeys: true) : UpstreamCredentials.None;
        }

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

    /// <summary>
    /// The one configuration snapshot requests use: each request reads the reference once, on arrival, and runs to its
    /// end on that handler; a reload swaps the reference for the requests after it.
    /// </summary>
    private sealed class SwitchingHandler(ProxyHandler first) : IHttpHandler
    {
        private readonly Lock _gate = new();
        private ProxyHandler _current = first;
        private bool _draining;

        public ValueTask HandleAsync(HttpContext context) => Volatile.Read(ref _current).HandleAsync(context);

        // The request id and the metrics labels are given by the handler (IHttpHandler's default does nothing).
        public void BeginRequest(HttpContext context) => Volatile.Read(ref _current).BeginRequest(context);

        public void Swap(ProxyHandler next)
        {
            lock (_gate)
            {
                if (_draining)
                {
                    // Shutdown began: the new handler would answer /health/ready with 200 again.
                    next.BeginDraining();
                }

                Volatile.Write(ref _current, next);
            }
        }

        public void BeginDraining()
        {
            lock (_gate)
            {
                _draining = true;
                Volatile.Read(ref _current).BeginDraining();
            }
        }
    }
}
