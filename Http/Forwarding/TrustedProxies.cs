using System.Buffers.Binary;
using System.Net;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// The peers whose own forwarding headers are believed (TRUSTED_PROXIES), turned once at start into prefixes that
/// a peer's address is matched against without allocating.
/// </summary>
internal sealed class TrustedProxies
{
    public static readonly TrustedProxies None = new([]);

    private readonly Range[] _ranges;

    public TrustedProxies(IEnumerable<IPNetwork> networks)
    {
        _ranges = [.. networks.Select(ToRange)];
    }

    /// <summary>True when <paramref name="peer"/> lies in one of the ranges; an IPv4-mapped IPv6 peer is matched as IPv4.</summary>
    public bool Contains(IPAddress? peer)
    {
        if (peer is null || _ranges.Length == 0)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!peer.TryWriteBytes(bytes, out var written))
        {
            return false;
        }

        // A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d; it is that IPv4 address (RFC 4291 §2.5.5.2).
        var isIPv4 = written == 4 || peer.IsIPv4MappedToIPv6;
        var value = written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : isIPv4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes[12..])
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
        foreach (var range in _ranges)
        {
            if (range.IsIPv4 == isIPv4 && range.Contains(value))
            {
                return true;
            }
        }

        return false;
    }

    private static Range ToRange(IPNetwork network)
    {
        Span<byte> bytes = stackalloc byte[16];
        network.BaseAddress.TryWriteBytes(bytes, out var written);
        if (written == 4)
        {
            return new Range(BinaryPrimitives.ReadUInt32BigEndian(bytes), network.PrefixLength, IsIPv4: true);
        }

        // A range written as IPv4-mapped IPv6 (::ffff:10.0.0.0/104) is the IPv4 range it maps, as mapped peers are matched.
        if (network.BaseAddress.IsIPv4MappedToIPv6 && network.PrefixLength >= 96)
        {
            return new Range(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]), network.PrefixLength - 96, IsIPv4: true);
        }

        return new Range(BinaryPrimitives.ReadUInt128BigEndian(bytes), network.PrefixLength, IsIPv4: false);
    }

    /// <summary>An address range: the first <paramref name="Bits"/> bits of <paramref name="Prefix"/>, right-aligned in 128 bits.</summary>
    private readonly record struct Range(UInt128 Prefix, int Bits, bool IsIPv4)
    {
        public bool Contains(UInt128 address)
        {
            var shift = (IsIPv4 ? 32 : 128) - Bits;
            return shift >= 128 || (address >> shift) == (Prefix >> shift);
        }
    }
}
