namespace CotProxy.Http.Forwarding;

/// <summary>
/// Which credentials go upstream: the upstream's own key (TARGET_API_KEY, sent in TARGET_API_KEY_HEADER, by default
/// <c>Authorization: Bearer KEY</c>) in place of whatever the client sent in that header, and, when the proxy checks
/// keys of its own (PROXY_API_KEYS), never the client's key.
/// </summary>
internal sealed class UpstreamCredentials
{
    public static readonly UpstreamCredentials None = new(null, null, dropClientKeys: false);

    /// <param name="header">The header the upstream reads its key from; null: none is added.</param>
    /// <param name="value">That header's whole value (for Authorization, "Bearer KEY").</param>
    /// <param name="dropClientKeys">The client's Authorization and x-api-key are the proxy's keys: not forwarded.</param>
    public UpstreamCredentials(string? header, string? value, bool dropClientKeys)
    {
        Header = header;
        Value = value;
        DropClientKeys = dropClientKeys;
    }

    public string? Header { get; }

    public string? Value { get; }

    public bool DropClientKeys { get; }

    /// <summary>A client header the upstream must not get: replaced by the upstream's key, or a key meant for the proxy.</summary>
    public bool Drops(string name) =>
        (Header is not null && name.Equals(Header, StringComparison.OrdinalIgnoreCase))
        || (DropClientKeys && (name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("x-api-key", StringComparison.OrdinalIgnoreCase)));
}
