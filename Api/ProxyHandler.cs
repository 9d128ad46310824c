using System.Runtime.CompilerServices;
using System.Text.Json;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// Routes each request: the proxy's own endpoints (<c>/health</c>, the merged models list), else forwarding. JSON
/// bodies are read and checked first, and rewritten when a model profile applies; others stream through untouched.
/// </summary>
internal sealed class ProxyHandler : IHttpHandler
{
    // A models list is small; this bounds what the proxy buffers to merge one.
    private const int MaxModelsListBytes = 8 * 1024 * 1024;

    private readonly Forwarder _forwarder;
    private readonly HealthCheck _health;
    private readonly ProfileSet _profiles;
    private readonly ResponsePolicy _responses;
    private readonly TimeSpan _thinkKeepAlive;
    private readonly bool _hasPseudoModels;

    public ProxyHandler(Forwarder forwarder, HealthCheck health, ProfileSet profiles, ResponsePolicy? responses = null, TimeSpan thinkKeepAlive = default)
    {
        _forwarder = forwarder;
        _health = health;
        _profiles = profiles;
        _responses = responses ?? new ResponsePolicy(profiles, enableThinkTagFiltering: false, thinkTag: null, thinkEndTag: null);
        _thinkKeepAlive = thinkKeepAlive;
        _hasPseudoModels = profiles.Profiles.Any(p => p.IsPseudoModel);
    }

    // Not async itself: it hands back the task of the one path a request takes, so a request does not pay for one more
    // suspended state machine on its way through.
    public ValueTask HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path;
        if (path.SequenceEqual("/health") && request.Method is "GET" or "HEAD")
        {
            return new ValueTask(_health.HandleAsync(context));
        }

        if (_hasPseudoModels && request.Method == "GET")
        {
            return AnswerModelsOrForwardAsync(context, path.ToString());
        }

        return ForwardAsync(context);
    }

    private ValueTask ForwardAsync(HttpContext context)
    {
        if (context.Request.HasBody && MediaType.IsJson(context.Request.ContentType))
        {
            return ForwardJsonAsync(context);
        }

        if (Log.DebugEnabled)
        {
            DebugLog.Request(context, default, buffered: false);
        }

        return _forwarder.ForwardAsync(context, bufferedBody: null);
    }

    private async ValueTask AnswerModelsOrForwardAsync(HttpContext context, string path)
    {
        if (!await TryAnswerModelsAsync(context, path))
        {
            await ForwardAsync(context);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardJsonAsync(HttpContext context)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        if (!JsonRequestInspector.TryInspect(body.WrittenSpan, out var model, out var error))
        {
            await OpenAiError.WriteAsync(context.Response, 400, $"Invalid JSON in request body ({error}).", "invalid_request_error", "invalid_json", context.Aborted);
            return;
        }

        context.Model = model;
        if (Log.DebugEnabled)
        {
            DebugLog.Request(context, body.WrittenSpan, buffered: true);
        }

        var generation = IsGenerationEndpoint(context.Request.Path);
        var profile = generation ? _profiles.Find(model) : null;
        var rewrite = generation ? _responses.For(profile, model) : null;
        var forward = rewrite is null ? null : new ForwardOptions { IdentityEncoding = true, Rewrite = rewrite, ThinkKeepAlive = _thinkKeepAlive };
        if (profile is null || !profile.RewritesRequest)
        {
            // No request rewrite: the body goes upstream exactly as the client sent it, never re-serialized.
            await _forwarder.ForwardAsync(context, body.WrittenMemory, forward);
            return;
        }

        byte[] rewritten;
        var changes = Log.DebugEnabled ? new List<string>() : null;
        try
        {
            rewritten = RequestRewriter.Rewrite(body.WrittenSpan, profile, changes);
        }
        catch (JsonException ex)
        {
            await OpenAiError.WriteAsync(context.Response, 400, $"The request body cannot be rewritten for model profile '{profile.Name}': {ex.Message}", "invalid_request_error", "invalid_request_body", context.Aborted);
            return;
        }

        if (changes is not null)
        {
            Log.Debug($"profile '{profile.Name}' applied to model={Log.SafeText(model ?? "(none)", 100)}: {(changes.Count == 0 ? "no change" : string.Join("; ", changes))}");
        }

        await _forwarder.ForwardAsync(context, rewritten, forward);
    }

    /// <summary>Answers <c>/v1/models</c> (merged with the pseudo-models) and <c>/v1/models/{pseudo}</c>; false when the request is not one of those.</summary>
    private async Task<bool> TryAnswerModelsAsync(HttpContext context, string path)
    {
        var listPath = ModelsListPath(path, out var id);
        if (listPath is null)
        {
            return false;
        }

        if (id is not null && _profiles.Get(id) is not { IsPseudoModel: true })
        {
            return false;
        }

        var upstream = await _forwarder.FetchAsync(context, listPath, MaxModelsListBytes);
        if (upstream is null)
        {
            return true;
        }

        byte[]? answer = null;
        if (upstream.StatusCode == 200)
        {
            answer = id is null ? ModelsList.Merge(upstream.Body, _profiles) : ModelsList.Describe(id, upstream.Body, _profiles);
        }

        if (answer is null)
        {
            // The upstream failed (or answered something that is not a list): the client sees that failure, not a list hiding it.
            context.Response.Headers.AddRange(upstream.Headers);
            context.Response.Start(upstream.StatusCode, upstream.Body.Length);
            context.Response.Write(upstream.Body);
            await context.Response.CompleteAsync(context.Aborted);
            return true;
        }

        await OpenAiError.WriteJsonAsync(context.Response, 200, answer, context.Aborted);
        return true;
    }

    /// <summary>The upstream path of the models list for <c>/v1/models</c>, <c>/models</c> and their <c>/{id}</c> forms.</summary>
    private static string? ModelsListPath(string path, out string? id)
    {
        id = null;
        foreach (var prefix in (ReadOnlySpan<string>)["/v1/models", "/models"])
        {
            if (path == prefix || path == prefix + "/")
            {
                return prefix;
            }

            if (path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                id = Uri.UnescapeDataString(path[(prefix.Length + 1)..]);
                return prefix;
            }
        }

        return null;
    }

    /// <summary>Profiles rewrite generation requests only: an embeddings call must not receive a temperature.</summary>
    private static bool IsGenerationEndpoint(ReadOnlySpan<char> path) =>
        path.EndsWith("/chat/completions") || path.EndsWith("/completions") || path.EndsWith("/responses")
        || path.EndsWith("/api/chat") || path.EndsWith("/api/generate");
}
