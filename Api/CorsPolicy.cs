using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>
/// CORS_ALLOW_ORIGINS, for browser clients (the Fetch standard's CORS protocol): the proxy answers preflights itself and
/// marks the responses to allowed origins; the upstream's own CORS headers are replaced, so a browser never sees two.
/// Off (null) by default: then preflights are forwarded like any request.
/// </summary>
internal sealed class CorsPolicy : IResponseStartingHook
{
    // Fetch §3.2.5: browsers cache a preflight at most this long anyway (Chromium caps Access-Control-Max-Age at 7200 s).
    private const string MaxAgeSeconds = "600";

    private static readonly string[] s_upstreamCorsHeaders =
    [
        "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
        "Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age",
    ];

    private readonly HashSet<string>? _origins;

    /// <summary><paramref name="origins"/>: serialized origins (scheme://host[:port]), or the one entry "*" for any.</summary>
    public CorsPolicy(IReadOnlyList<string> origins)
    {
        _origins = origins is ["*"] ? null : new HashSet<string>(origins, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A CORS preflight (Fetch §3.2.2): OPTIONS with Origin and Access-Control-Request-Method.</summary>
    public static bool IsPreflight(HttpRequest request) =>
        request.Method == "OPTIONS" && request.GetHeader("Origin") is not null && request.GetHeader("Access-Control-Request-Method") is not null;

    /// <summary>For a request that names its origin: its response will carry the CORS headers if that origin is allowed.</summary>
    public void Apply(HttpContext context)
    {
        if (context.Request.GetHeader("Origin") is not null)
        {
            context.Response.StartingHook = this;
        }
    }

    /// <summary>
    /// 204 with what the browser asked for, echoed (Access-Control-Allow-Headers must name Authorization itself: "*" does
    /// not cover it, Fetch §3.2.3); 403 naming the setting for an origin not in the list.
    /// </summary>
    public ValueTask AnswerPreflightAsync(HttpContext context)
    {
        var request = context.Request;
        var origin = request.GetHeader("Origin")!;
        if (!Allows(origin))
        {
            return OpenAiErrorWriter.WriteAsync(context.Response, 403, $"The origin {origin} is not in CORS_ALLOW_ORIGINS.", "cors_origin_not_allowed", context.Aborted);
        }

        var headers = context.Response.Headers;
        headers.Add(new("Access-Control-Allow-Origin", _origins is null ? "*" : origin));
        headers.Add(new("Access-Control-Allow-Methods", request.GetHeader("Access-Control-Request-Method")!));
        if (request.GetHeader("Access-Control-Request-Headers") is { } asked)
        {
            headers.Add(new("Access-Control-Allow-Headers", asked));
        }

        headers.Add(new("Access-Control-Max-Age", MaxAgeSeconds));
        headers.Add(new("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"));
        context.Response.Start(204, null);
        return CompleteAsync(context.Response, context.Aborted);
    }

    public void OnStarting(HttpRequest request, HttpResponse response)
    {
        var origin = request.GetHeader("Origin");
        if (origin is null || !Allows(origin))
        {
            return;
        }

        var headers = response.Headers;
        headers.RemoveAll(h => IsUpstreamCorsHeader(h.Key));
        headers.Add(new("Access-Control-Allow-Origin", _origins is null ? "*" : origin));
        if (_origins is not null)
        {
            // RFC 9110 §12.5.5: the answer depends on Origin, so caches must key on it.
            headers.Add(new("Vary", "Origin"));
        }
    }

    private bool Allows(string origin) => _origins is null || _origins.Contains(origin);

    private static bool IsUpstreamCorsHeader(string name)
    {
        foreach (var cors in s_upstreamCorsHeaders)
        {
            if (name.Equals(cors, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static async ValueTask CompleteAsync(HttpResponse response, CancellationToken cancellationToken) => await response.CompleteAsync(cancellationToken);
}
