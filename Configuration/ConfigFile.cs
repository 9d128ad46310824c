using CotProxy.Profiles;

namespace CotProxy.Configuration;

/// <summary>A config file (<c>COT_CONFIG</c>) read and checked: its settings, upstreams, keys and profiles.</summary>
internal sealed class ConfigFile
{
    /// <summary>The file's full path.</summary>
    public required string Path { get; init; }

    /// <summary>Top-level settings by environment name (<c>port: 8080</c> is PORT); <c>keys:</c> is PROXY_API_KEYS.</summary>
    public required IReadOnlyDictionary<string, ConfigValue> Settings { get; init; }

    /// <summary>The upstreams in the order written; empty when the file names none.</summary>
    public required IReadOnlyList<UpstreamSettings> Upstreams { get; init; }

    /// <summary>The profiles, in the order written, inheritance resolved; each names its upstreams (<see cref="ModelProfile.Upstreams"/>).</summary>
    public required ProfileSet Profiles { get; init; }

    /// <summary>Where a line of this file is, for messages: <c>/etc/cot-proxy.yaml:12</c>.</summary>
    public string At(int line) => $"{Path}:{line}";
}
