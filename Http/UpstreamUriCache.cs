using System.Collections.Concurrent;

namespace CotProxy.Http;

/// <summary>
/// Upstream URLs by request target: clients call the same few paths over and over, and building a <see cref="Uri"/>
/// parses the whole URL each time. Bounded, so a client sending endless distinct paths only stops being cached.
/// </summary>
internal sealed class UpstreamUriCache
{
    private const int Capacity = 512;

    private readonly Uri _baseUrl;
    private readonly ConcurrentDictionary<string, Uri> _uris = new(StringComparer.Ordinal);

    public UpstreamUriCache(Uri baseUrl)
    {
        _baseUrl = baseUrl;
    }

    public Uri Get(string target)
    {
        if (_uris.TryGetValue(target, out var uri))
        {
            return uri;
        }

        uri = UpstreamUri.Join(_baseUrl, target);
        if (_uris.Count < Capacity)
        {
            _uris.TryAdd(target, uri);
        }

        return uri;
    }
}
