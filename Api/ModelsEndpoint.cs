using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// <c>GET /v1/models</c> (and <c>/models</c>; HEAD too, every other method 405) when profiles define pseudo-models: the upstream's list with the
/// pseudo-models merged in, and <c>/v1/models/{pseudo}</c> for one of them.
/// </summary>
internal sealed class ModelsEndpoint
{
    // A models list is small; this bounds what the proxy buffers to merge one.
    private const int MaxModelsListBytes = 8 * 1024 * 1024;

    private readonly Forwarder _forwarder;
    private readonly ProfileSet _profiles;

    public ModelsEndpoint(Forwarder forwarder, ProfileSet profiles)
    {
        _forwarder = forwarder;
        _profiles = profiles;
    }

    /// <summary>True for the paths this endpoint answers: the models list, and one of the pseudo-models; any other model is the upstream's.</summary>
    public bool Answers(ReadOnlySpan<char> path) =>
        ModelsListPath(path, out var id) is not null && (id is null || _profiles.Get(id) is { IsPseudoModel: true });

    /// <summary>Answers a request for one of the paths <see cref="Answers"/> accepts.</summary>
    public async Task AnswerAsync(HttpContext context)
    {
        var listPath = ModelsListPath(context.Request.Path, out var id)!;
        var upstream = await _forwarder.FetchAsync(context, listPath, MaxModelsListBytes);
        if (upstream is null)
        {
            return;
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
            return;
        }

        await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, answer, context.Aborted);
    }

    /// <summary>The upstream path of the models list for <c>/v1/models</c>, <c>/models</c> and their <c>/{id}</c> forms.</summary>
    private static string? ModelsListPath(ReadOnlySpan<char> path, out string? id)
    {
        id = null;
        foreach (var prefix in (ReadOnlySpan<string>)["/v1/models", "/models"])
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = path[prefix.Length..];
            if (rest is "" or "/")
            {
                return prefix;
            }

            if (rest[0] == '/')
            {
                id = Uri.UnescapeDataString(rest[1..]);
                return prefix;
            }
        }

        return null;
    }
}
