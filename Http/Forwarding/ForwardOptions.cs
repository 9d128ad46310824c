using CotProxy.Filtering;




namespace CotProxy.Http.Forwarding;

/// <summary>What one forwarded request needs beyond the defaults.</summary>
internal sealed class ForwardOptions
{
    /// <summary>Ask the upstream for an unencoded body because the proxy may rewrite it.</summary>
    public bool IdentityEncoding { get; init; }

    /// <summary>How a successful response body is rewritten (thinking filter, model name); null passes it untouched.</summary>
    public ResponseRewriteOptions? Rewrite { get; init; }

    /// <summary>While a hidden thought streams, a comment line goes out this often; zero never.</summary>
    public TimeSpan ThinkKeepAlive { get; init; }
}
