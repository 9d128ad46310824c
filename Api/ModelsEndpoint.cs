using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// <c>GET /v1/models</c> (and <c>/models</c>; HEAD too, every other method 405) when profiles define pseudo-models or
/// there are several upstreams: the upstream's list (every upstream's, merged, each model once) with the pseudo-models
/// merged in, and <c>/v1/models/{pseudo}</c> for one of them.
/// </summary>
internal sealed class ModelsEndpoint
{
    // A models list is small; this bounds what the proxy buffers to merge one.
    private const int MaxModelsListBytes = 8 * 1024 * 1024;

    private readonly UpstreamSet _upstreams;
    private readonly Forwarder _forwarder;
    private readonly ProfileSet _profiles;

    public ModelsEndpoint(UpstreamSet upstreams, ProfileSet profiles)
    {
        _upstreams = upstreams;
        _forwarder = upstreams.Default;
        _profiles = profiles;
    }

    /// <summary>True for the paths this endpoint answers: the models list, and one of the pseudo-models; any other model is the upstream's.</summary>
    public bool Answers(ReadOnlySpan<char> path) =>
        ModelsListPath(path, out var id) is not null && (id is null || _profiles.Get(id) is { IsPseudoModel: true });

    /// <summary>Answers a request for one of the paths <see cref="Answers"/> accepts.</summary>
    public async Task AnswerAsync(HttpContext context)
    {
        var listPath = ModelsListPath(context.Request.Path, out var id)!;
        if (_upstreams.All.Count > 1)
        {
            await AnswerMergedAsync(context, listPath, id);
            return;
        }

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

    /// <summary>
    /// Every upstream's list, asked at once on the proxy's own behalf (each with its key), merged in the config file's
    /// order: each model once, its first upstream's entry kept. An upstream that fails or answers no list is left out
    /// and logged; when none answers one, 502.
    /// </summary>
    private async Task AnswerMergedAsync(HttpContext context, string listPath, string? id)
    {
        var upstreams = _upstreams.All;
        var answers = await Task.WhenAll(upstreams.Select(u =>
            UpstreamProbe.GetAsync(u.Invoker, u.UriFor(listPath), u.Options.Credentials, u.Options.ApiRequestTimeout, MaxModelsListBytes, context.Aborted)));
        context.Aborted.ThrowIfCancellationRequested();

        var merged = new JsonArray();
        var missing = new List<string>();
        for (var i = 0; i < upstreams.Count; i++)
        {
            if (answers[i] is { Status: 200 } answer && ModelsData(answer.Body) is { } data)
            {
                foreach (var model in data)
                {
                    merged.Add(model?.DeepClone());
                }

                continue;
            }

            var why = answers[i] is { } failed ? $"answered {failed.Status} without a models list" : "did not answer";
            missing.Add($"`{upstreams[i].Name}` {why}");
        }

        if (missing.Count == upstreams.Count)
        {
            await OpenAiErrorWriter.WriteAsync(context.Response, 502, $"No upstream gave its models list ({listPath}): {string.Join("; ", missing)}.", "upstream_error", context.Aborted);
            return;
        }

        if (missing.Count > 0)
        {
            Log.Warn($"GET {listPath}: the merged list leaves out {string.Join("; ", missing)}");
        }

        var list = JsonText.ToUtf8(new JsonObject { ["object"] = "list", ["data"] = merged });
        var answerBytes = id is null ? ModelsList.Merge(list, _profiles) : ModelsList.Describe(id, list, _profiles);
        await context.Response.WriteCompleteAsync(200, JsonOutput.ContentType, answerBytes ?? list, context.Aborted);
    }

    /// <summary>The <c>data</c> array of an OpenAI-style list, or null.</summary>
    private static JsonArray? ModelsData(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject { } root && root["data"] is JsonArray data ? data : null;
        }
        catch (JsonException)
        {
            return null;
        }
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
