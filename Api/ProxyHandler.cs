using System.Runtime.CompilerServices;
using System.Text.Json;
using CotProxy.Filtering;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// Every request the proxy serves enters here: its own endpoints (<c>/health</c>, the merged models list), else the
/// forwarding pipeline. A JSON body is read and checked first, and rewritten when a model profile applies; any other
/// body streams through untouched.
/// </summary>
internal sealed class ProxyHandler : IHttpHandler
{
    private readonly UpstreamRoute _defaultRoute;
    private readonly Dictionary<string, UpstreamRoute> _routes;
    private readonly Dictionary<Forwarder, ServerKindDetector> _serverKinds;
    private readonly HealthEndpoint _health;
    private readonly ModelsEndpoint? _models;
    private readonly ProfileSet _profiles;
    private readonly ResponsePolicy _responses;
    private readonly TimeSpan _thinkKeepAlive;
    private readonly int _maxFilteredBodyBytes;
    private readonly CorsPolicy? _cors;
    private readonly ApiKeys? _keys;
    private readonly ProxyMetrics? _metrics;
    private readonly MetricsEndpoint? _metricsEndpoint;
    private readonly Func<string?, ResponseRewriteOptions?> _storedOptions;

    public ProxyHandler(UpstreamSet upstreams, ProfileSet profiles, ResponsePolicy responses, TimeSpan thinkKeepAlive = default, int maxFilteredBodyBytes = ResponseRewriterFactory.DefaultMaxBufferedBytes, CorsPolicy? cors = null, ApiKeys? keys = null, ServerKind? serverKind = null, ProxyMetrics? metrics = null)
    {
        _metrics = metrics;
        _metricsEndpoint = metrics is null ? null : new MetricsEndpoint(metrics);
        _keys = keys;
        _maxFilteredBodyBytes = maxFilteredBodyBytes;
        _cors = cors;
        _defaultRoute = new UpstreamRoute(upstreams.Default);
        _routes = Routes(upstreams, profiles);
        _serverKinds = upstreams.All.ToDictionary(f => f, f => new ServerKindDetector(f, serverKind));
        _health = new HealthEndpoint(upstreams);
        _models = profiles.Profiles.Any(p => p.IsPseudoModel) || upstreams.All.Count > 1 ? new ModelsEndpoint(upstreams, profiles) : null;
        _profiles = profiles;
        _responses = responses;
        _thinkKeepAlive = thinkKeepAlive;
        _storedOptions = model => _responses.ForStored(_profiles, model);
    }

    /// <summary>Every request gets its id (the client's X-Request-Id when usable) and its route label first, whatever follows.</summary>
    public void BeginRequest(HttpContext context)
    {
        context.RequestId = RequestIds.For(context.Request);
        if (context.Stats is { } stats)
        {
            stats.Route = MetricsEndpoint.RouteOf(context.Request.Path);
        }
    }

    /// <summary>
    /// The route of every profile that names upstreams (<c>upstream: local</c> or <c>upstream: [a, b]</c>); a name the
    /// set does not hold (a profile of LLM_PARAMS has none) is left out, and a profile left with none takes the default.
    /// </summary>
    private static Dictionary<string, UpstreamRoute> Routes(UpstreamSet upstreams, ProfileSet profiles)
    {
        var routes = new Dictionary<string, UpstreamRoute>(StringComparer.Ordinal);
        foreach (var profile in profiles.Profiles)
        {
            var members = profile.Upstreams.Select(upstreams.Get).OfType<Forwarder>().Distinct().ToArray();
            if (members.Length > 0)
            {
                routes[profile.Name] = new UpstreamRoute(members);
            }
        }

        return routes;
    }

    /// <summary>Where a request for a model with <paramref name="profile"/> goes: its upstreams, else the default one.</summary>
    private UpstreamRoute RouteFor(ModelProfile? profile) =>
        profile is not null && _routes.TryGetValue(profile.Name, out var route) ? route : _defaultRoute;

    /// <summary>Shutdown began: <c>/health/ready</c> answers 503 from now on.</summary>
    public void BeginDraining() => _health.BeginDraining();

    // Not async itself: it hands back the task of the one path a request takes, so a request does not pay for one more
    // suspended state machine on its way through.
    public ValueTask HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (_cors is not null)
        {
            if (CorsPolicy.IsPreflight(request))
            {
                return _cors.AnswerPreflightAsync(context);
            }

            _cors.Apply(context);
        }

        if (_keys is not null && !_keys.Admits(request))
        {
            return ApiKeys.RejectAsync(context);
        }

        // RFC 9110 §9.1: methods are case-sensitive, so `get` or `head` is an extension method, not GET or HEAD: our own
        // endpoints refuse it with 405 and Allow (RFC 9110 §15.5.6), as they refuse POST.
        if (HealthEndpoint.Answers(request.Path))
        {
            return request.Method is "GET" or "HEAD" ? new ValueTask(_health.HandleAsync(context)) : MethodNotAllowedAsync(context);
        }

        if (_metricsEndpoint is not null && MetricsEndpoint.Answers(request.Path))
        {
            return request.Method is "GET" or "HEAD" ? new ValueTask(_metricsEndpoint.HandleAsync(context)) : MethodNotAllowedAsync(context);
        }

        if (_models is not null && _models.Answers(request.Path))
        {
            return request.Method is "GET" or "HEAD" ? new ValueTask(_models.AnswerAsync(context)) : MethodNotAllowedAsync(context);
        }

        if (!UpstreamRequest.CanSendAsIs(request.Method))
        {
            // RFC 9110 §15.6.2: 501 for a method the server does not support; refused rather than sent as another method.
            return OpenAiErrorWriter.WriteAsync(
                context.Response, 501, "This method differs from a standard one only in letter case; methods are case-sensitive and the proxy cannot forward it unchanged. Send it in upper case.", "method_not_implemented", context.Aborted);
        }

        return ForwardAsync(context);
    }

    /// <summary>405 for a method one of our own endpoints does not serve; they all serve GET and HEAD alone.</summary>
    private static ValueTask MethodNotAllowedAsync(HttpContext context) =>
        OpenAiErrorWriter.WriteAsync(context.Response, 405, "This endpoint answers GET and HEAD only (methods are case-sensitive).", "method_not_allowed", "Allow", "GET, HEAD", context.Aborted);

    private ValueTask ForwardAsync(HttpContext context)
    {
        var request = context.Request;

        // X-Thinking is the proxy's own header: consumed here, never forwarded.
        if (!ThinkingHeader.TryTake(request, out var thinking, out var thinkingError))
        {
            return OpenAiErrorWriter.WriteAsync(context.Response, 400, thinkingError!, "invalid_thinking_header", context.Aborted);
        }

        if (request.HasBody && MediaType.IsJson(request.ContentType))
        {
            return ForwardJsonAsync(context, thinking);
        }

        if (request.HasBody && MediaType.Is(request.ContentType, "application/x-www-form-urlencoded") && GenerationEndpoints.Is(request.Path))
        {
            return ForwardFormAsync(context, thinking);
        }

        if (Log.DebugEnabled)
        {
            DebugLog.Request(context, default, buffered: false);
        }

        // A stored response replays a generation: it is filtered as its model's responses are, once the response names
        // the model; with no filtering configured at all it goes through untouched.
        if (request.Method == "GET" && _responses.Strictest is { } strictest && GenerationEndpoints.IsStoredResponse(request.Path))
        {
            return ForwardStoredResponseAsync(context, strictest);
        }

        return _defaultRoute.ForwardAsync(context);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardStoredResponseAsync(HttpContext context, ResponseRewriteOptions strictest)
    {
        using var transform = new ThinkingTransform(_storedOptions, strictest, context, _maxFilteredBodyBytes, _metrics) { KeepAliveInterval = _thinkKeepAlive };
        await _defaultRoute.ForwardAsync(context, null, transform);
    }

    /// <summary>
    /// curl's <c>-d</c> labels a body <c>application/x-www-form-urlencoded</c>, and chat bodies typed that way are JSON: a
    /// generation request whose form body is one JSON object is handled as JSON (its profile applies) and sent on as
    /// <c>application/json</c>, said at debug level. Any other form body goes on as it came.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardFormAsync(HttpContext context, ThinkingSwitch? thinking)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        var bytes = body.WrittenSpan.TrimStart(" \t\r\n"u8);
        if (!bytes.IsEmpty && bytes[0] == (byte)'{' && JsonRequestInspector.TryInspect(body.WrittenSpan, out _, out _, out _))
        {
            Log.Debug($"{context.Request.Method} {Log.Target(context.Request.Target)}: the body is labelled {context.Request.ContentType} but is a JSON object: handled as JSON, sent on as {JsonOutput.ContentType}", context.RequestId);
            var headers = context.Request.Headers;
            headers.RemoveAll(static h => h.Key.Equals(HeaderNames.ContentType, StringComparison.OrdinalIgnoreCase));
            headers.Add(new(HeaderNames.ContentType, JsonOutput.ContentType));
            context.Request.ContentType = JsonOutput.ContentType;
            await ForwardJsonBodyAsync(context, body, thinking);
            return;
        }

        if (Log.DebugEnabled)
        {
            DebugLog.Request(context, body.WrittenSpan, buffered: true);
        }

        await _defaultRoute.ForwardAsync(context, body.WrittenMemory, null);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardJsonAsync(HttpContext context, ThinkingSwitch? thinking)
    {
        // 1. Accept the body: read whole (within MAX_REQUEST_BODY_MB).
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        await ForwardJsonBodyAsync(context, body, thinking);
    }

    /// <summary>The pipeline of a request with a JSON body, step by step, once it is read.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardJsonBodyAsync(HttpContext context, PooledByteBuffer body, ThinkingSwitch? thinkingHeader)
    {
        // 1. Check it is JSON, its model noted for the log.
        if (!JsonRequestInspector.TryInspect(body.WrittenSpan, out var model, out var error, out var code))
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 400, error!, code, context.Aborted);
            return;
        }

        context.Model = model;
        if (Log.DebugEnabled)
        {
            DebugLog.Request(context, body.WrittenSpan, buffered: true);
        }

        // 2. The model's profile, for generation endpoints only: an embeddings call must not receive a temperature.
        var generation = GenerationEndpoints.Is(context.Request.Path);
        var profile = generation ? _profiles.Find(model) : null;

        // Where it goes: the upstreams the model's profile names, for any endpoint (an embeddings call for a model is
        // that model's server's too), else the default upstream.
        var route = _routes.Count == 0 ? _defaultRoute : RouteFor(generation ? profile : _profiles.Find(model));

        // 3. How the response is rewritten, if at all: the thinking filter and the model name put back; the client's
        // X-Reasoning-Mode where the profile allows it (a value we do not know is a 400, as for any field of ours).
        ThinkMode? requestedMode = null;
        if (generation && !ResponsePolicy.TryParseModeHeader(context.Request.GetHeader(ResponsePolicy.ModeHeader), out requestedMode))
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 400, $"The {ResponsePolicy.ModeHeader} header must be strip, split, merge or keep.", "invalid_reasoning_mode", context.Aborted);
            return;
        }

        if (requestedMode is not null && !ResponsePolicy.AllowsModeHeader(profile) && Log.DebugEnabled)
        {
            Log.Debug($"{ResponsePolicy.ModeHeader} ignored: the profile of model={Log.SafeText(model ?? "(none)", 100)} does not say allow_mode_header=true");
        }

        var rewrite = generation ? _responses.For(profile, model, requestedMode) : null;
        using var transform = rewrite is null ? null : new ThinkingTransform(rewrite, context, _maxFilteredBodyBytes, _metrics, GenerationEndpoints.ApiOf(context.Request.Path)) { KeepAliveInterval = _thinkKeepAlive };

        // 4. Rewrite the request, or send the client's bytes exactly as they came (never re-serialized): the profile, the
        // thinking switch (X-Thinking, else the profile's) and history hygiene.
        var extras = default(RequestExtras);
        if (generation)
        {
            var thinking = thinkingHeader ?? profile?.Thinking;
            extras = new RequestExtras
            {
                Thinking = thinking is { } value ? await ThinkingFieldsAsync(route, context.Request.Path.ToString(), profile, value) : null,
                ThinkingFromHeader = thinkingHeader is not null,
                History = _responses.HistoryFor(profile, rewrite),
            };
        }

        var upstreamBody = body.WrittenMemory;
        PooledByteBuffer? rewritten = null;
        if ((profile ?? (extras.Any ? ModelProfile.None : null)) is { } rewriteProfile && (rewriteProfile.RewritesRequest || extras.Any))
        {
            profile = rewriteProfile;
            var changes = Log.DebugEnabled ? new List<string>() : null;
            try
            {
                if (RequestRewriter.TryRewrite(body.WrittenSpan, profile, extras, changes, out rewritten))
                {
                    upstreamBody = rewritten.WrittenMemory;
                }
            }
            catch (JsonException ex)
            {
                await OpenAiErrorWriter.WriteAsync(context.Response, 400, $"The request body cannot be rewritten for model profile '{profile.Name}': {ex.Message}", "invalid_request_body", context.Aborted);
                return;
            }

            if (changes is not null)
            {
                Log.Debug($"profile '{profile.Name}' applied to model={Log.SafeText(model ?? "(none)", 100)}: {(changes.Count == 0 ? "no change" : string.Join("; ", changes))}", context.RequestId);
            }
        }

        // 5. Forward, and copy the response back through the rewrite.
        using (rewritten)
        {
            // A generation response's usage is counted as it passes: by the transform when it rewrites, else by the observer.
            await route.ForwardAsync(context, upstreamBody, transform, generation && _metrics is not null ? UsageObserver.Instance : null);
        }
    }

    /// <summary>The thinking switch in the upstream's words: the profile's server_kind, else SERVER_KIND, else detected.</summary>
    private async ValueTask<ThinkingFields?> ThinkingFieldsAsync(UpstreamRoute route, string path, ModelProfile? profile, ThinkingSwitch value)
    {
        var kind = profile?.ServerKind ?? (ThinkingTranslation.NeedsServerKind(path) ? await _serverKinds[route.Primary].GetAsync() : ServerKind.OpenAi);
        return kind is { } known ? ThinkingTranslation.For(value, known, path) : null;
    }
}
