namespace CotProxy.Configuration;

/// <summary>What a <see cref="ConfigNode"/> is.</summary>
internal enum ConfigNodeKind
{
    Scalar,
    Map,
    List,
}
