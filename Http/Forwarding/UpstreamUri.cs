namespace CotProxy.Http.Forwarding;

/// <summary>Builds the upstream URL from the configured base URL and the client's request target.</summary>
internal static class UpstreamUri
{
    // System.Uri would turn /a/../b into /b and %41 into A; the target is forwarded exactly as received, as nginx passes it when proxy_pass names no URI.
    private static readonly UriCreationOptions s_asReceived = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <summary>
    /// Joins without doubling the base path: with base <c>http://h:8080/v1</c>, both <c>/v1/chat/completions</c> and
    /// <c>/chat/completions</c> go to <c>http://h:8080/v1/chat/completions</c>. A base path ending in <c>/v1</c> is the
    /// OpenAI-compatible half of a server that may also have a native API beside it: <c>/api/…</c> and <c>/v1/…</c> go to
    /// the base without its <c>/v1</c>, so <c>http://h:11434/v1</c> serves Ollama's <c>/api/chat</c> from
    /// <c>http://h:11434/api/chat</c> (Ollama serves <c>/v1/*</c> and <c>/api/*</c> side by side on one port), and
    /// <c>https://h/ollama/v1</c> sends <c>/v1/models</c> to <c>https://h/ollama/v1/models</c>.
    /// </summary>
    public static Uri Join(Uri baseUrl, string target)
    {
        var origin = baseUrl.GetLeftPart(UriPartial.Authority);
        var basePath = baseUrl.AbsolutePath.TrimEnd('/');
        if (target == "*")
        {
            target = "/";
        }

        string pathAndQuery;
        if (basePath.Length == 0 || StartsWithSegment(target, basePath))
        {
            pathAndQuery = target;
        }
        else if (basePath.EndsWith("/v1", StringComparison.Ordinal) && (StartsWithSegment(target, "/api") || StartsWithSegment(target, "/v1")))
        {
            pathAndQuery = string.Concat(basePath.AsSpan(0, basePath.Length - "/v1".Length), target);
        }
        else
        {
            pathAndQuery = basePath + target;
        }

        return new Uri(origin + pathAndQuery, s_asReceived);
    }

    private static bool StartsWithSegment(string target, string basePath)
    {
        if (!target.StartsWith(basePath, StringComparison.Ordinal))
        {
            return false;
        }

        if (target.Length == basePath.Length)
        {
            return true;
        }

        var next = target[basePath.Length];
        return next is '/' or '?';
    }
}
