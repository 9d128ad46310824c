namespace CotProxy.Http;

/// <summary>What one forwarded request needs beyond the defaults.</summary>
internal sealed class ForwardOptions
{
    /// <summary>Ask the upstream for an unencoded body because the proxy may rewrite it.</summary>
    public bool IdentityEncoding { get; init; }
}
