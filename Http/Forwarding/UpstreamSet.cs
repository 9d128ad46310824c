namespace CotProxy.Http.Forwarding;

/// <summary>
/// Every upstream of one configuration, each a <see cref="Forwarder"/> over the one shared handler, and the default
/// one: where requests go that no profile sends elsewhere.
/// </summary>
internal sealed class UpstreamSet
{
    private readonly Dictionary<string, Forwarder> _byName;

    /// <param name="all">The upstreams in the config file's order (one for TARGET_BASE_URL alone).</param>
    /// <param name="defaultUpstream">One of <paramref name="all"/>.</param>
    public UpstreamSet(IReadOnlyList<Forwarder> all, Forwarder defaultUpstream)
    {
        ArgumentOutOfRangeException.ThrowIfZero(all.Count);
        All = all;
        Default = defaultUpstream;
        _byName = new Dictionary<string, Forwarder>(StringComparer.Ordinal);
        foreach (var forwarder in all)
        {
            _byName.TryAdd(forwarder.Name, forwarder);
        }
    }

    public IReadOnlyList<Forwarder> All { get; }

    public Forwarder Default { get; }

    public Forwarder? Get(string name) => _byName.GetValueOrDefault(name);
}
