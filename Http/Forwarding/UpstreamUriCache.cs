using System.Collections.Concurrent;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Upstream URLs by request target: clients call the same few paths over and over, and building a <see cref="Uri"/>
/// parses the whole URL each time. Bounded, so a client sending endless distinct paths only stops being cached.
/// </summary>
internal sealed class UpstreamUriCache
{
    private const int Capacity = 512;

    // Longer targets (long query strings, one-off paths) are built each time rather than kept.
    private const int MaxCachedTargetLength = 256;

    private readonly Uri _baseUrl;
    private readonly ConcurrentDictionary<string, Uri> _uris = new(StringComparer.Ordinal);
    private int _count;

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

        // A counter of our own: ConcurrentDictionary.Count takes every lock of the table.
        if (target.Length <= MaxCachedTargetLength && Volatile.Read(ref _count) < Capacity && _uris.TryAdd(target, uri))
        {
            Interlocked.Increment(ref _count);
        }

        return uri;
    }
}
