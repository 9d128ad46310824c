using System.Buffers;

namespace CotProxy.Http.Server;

/// <summary>
/// The Host field's grammar (RFC 9110 §7.2: Host = uri-host [ ":" port ], RFC 3986 §3.2.2): a registered name, an IPv4
/// address or a bracketed IPv6 address, then an optional port. No userinfo, no path, no list.
/// </summary>
internal static class HostSyntax
{
    // RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ), which also covers IPv4address. The comma,
    // a sub-delim, is left out: no DNS name holds one, and X-Forwarded-Host, which carries this value, is a comma list.
    private static readonly SearchValues<byte> s_nameBytes = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+;=%"u8);

    // RFC 3986 §3.2.2: IPv6address is hex digits and colons, with an optional IPv4 tail (dots).
    private static readonly SearchValues<byte> s_ipv6Bytes = SearchValues.Create("0123456789ABCDEFabcdef:."u8);

    /// <summary>True when <paramref name="value"/> (already trimmed of OWS) is a valid Host field value.</summary>
    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        // RFC 9110 §7.2: a target URI without authority is sent with an empty Host.
        if (value.IsEmpty)
        {
            return true;
        }

        ReadOnlySpan<byte> rest;
        if (value[0] == (byte)'[')
        {
            // IP-literal = "[" IPv6address "]"; IPvFuture is refused (as Kestrel does): no server resolves it.
            var close = value.IndexOf((byte)']');
            if (close < 3 || value[1..close].ContainsAnyExcept(s_ipv6Bytes))
            {
                return false;
            }

            rest = value[(close + 1)..];
        }
        else
        {
            var end = value.IndexOfAnyExcept(s_nameBytes);
            if (end == 0 || !IsPercentEncodingValid(end < 0 ? value : value[..end]))
            {
                return false;
            }

            rest = end < 0 ? default : value[end..];
        }

        // port = *DIGIT after a colon; anything else after the host (a path, "@", a space, a list) makes it invalid.
        return rest.IsEmpty || (rest[0] == HttpConstants.Colon && !rest[1..].ContainsAnyExceptInRange((byte)'0', (byte)'9'));
    }

    /// <summary>RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG.</summary>
    private static bool IsPercentEncodingValid(ReadOnlySpan<byte> name)
    {
        for (var i = name.IndexOf((byte)'%'); i >= 0; i = name.IndexOf((byte)'%'))
        {
            if (i + 2 >= name.Length || AsciiParsing.HexValue(name[i + 1]) < 0 || AsciiParsing.HexValue(name[i + 2]) < 0)
            {
                return false;
            }

            name = name[(i + 3)..];
        }

        return true;
    }
}
