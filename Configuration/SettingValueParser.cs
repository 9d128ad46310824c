using System.Net;
using System.Net.Sockets;
using CotProxy.Filtering;

namespace CotProxy.Configuration;

/// <summary>
/// Strict parsers for setting values. Each accepts exactly the documented syntax and nothing the
/// BCL parsers would also let through: int.Parse's default NumberStyles.Integer takes a sign and
/// surrounding white space, double.Parse also exponents and thousands separators, both follow the
/// current culture unless told otherwise, and bool.Parse trims white space.
/// </summary>
internal static class SettingValueParser
{
    /// <summary>The longest duration: .NET timer APIs (CancelAfter, socket timeouts) take int milliseconds.</summary>
    public const long MaxDurationMilliseconds = 2_147_483_000;

    public const string BooleanSyntax = "expected true/false, 1/0 or yes/no";

    public const string DurationSyntax =
        "expected seconds greater than 0 and at most 2147483, ASCII digits with up to 3 decimals (e.g. 30 or 0.5)";

    public const string HostSyntax = "expected an IP address (0.0.0.0, ::, 127.0.0.1) or a host name (localhost)";

    public const string ThinkModeSyntax = "expected strip, split, merge or keep (the values of a profile's think_mode)";

    /// <summary>RFC 9110 §5.1: a field name is a token (letters, digits and !#$%&amp;'*+-.^_`|~), not empty.</summary>
    public static bool IsHeaderName(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    /// <summary>strip, split, merge or keep, in lower case as a profile's think_mode takes them.</summary>
    public static bool TryParseThinkMode(string text, out ThinkMode value)
    {
        (bool known, value) = text switch
        {
            "strip" => (true, ThinkMode.Strip),
            "split" => (true, ThinkMode.Split),
            "merge" => (true, ThinkMode.Merge),
            "keep" => (true, ThinkMode.Keep),
            _ => (false, ThinkMode.Strip),
        };
        return known;
    }

    public const string LogFormatSyntax = "expected text or json";

    /// <summary>LOG_FORMAT: text or json, in lower case; true for json.</summary>
    public static bool TryParseLogFormat(string text, out bool json)
    {
        json = text == "json";
        return json || text == "text";
    }

    /// <summary>true/false, 1/0, yes/no, case-insensitive; nothing else (no spaces, no "on").</summary>
    public static bool TryParseBoolean(string text, out bool value)
    {
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase)
            || text.Equals("yes", StringComparison.OrdinalIgnoreCase)
            || text == "1")
        {
            value = true;
            return true;
        }

        if (text.Equals("false", StringComparison.OrdinalIgnoreCase)
            || text.Equals("no", StringComparison.OrdinalIgnoreCase)
            || text == "0")
        {
            value = false;
            return true;
        }

        value = false;
        return false;
    }

    /// <summary>ASCII digits only (no sign, no spaces), inside [min, max].</summary>
    public static bool TryParseInteger(string text, int min, int max, out int value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 10)
        {
            return false;
        }

        long result = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            result = (result * 10) + (c - '0');
        }

        if (result < min || result > max)
        {
            return false;
        }

        value = (int)result;
        return true;
    }

    /// <summary>
    /// Seconds as ASCII digits with an optional fraction of 1 to 3 digits ("30", "0.5", "1.250");
    /// the result is greater than zero and at most <see cref="MaxDurationMilliseconds"/>.
    /// </summary>
    public static bool TryParseSeconds(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        ReadOnlySpan<char> whole = dot < 0 ? text : text.AsSpan(0, dot);
        ReadOnlySpan<char> fraction = dot < 0 ? [] : text.AsSpan(dot + 1);
        if (whole.Length == 0 || whole.Length > 7 || (dot >= 0 && (fraction.Length == 0 || fraction.Length > 3)))
        {
            return false;
        }

        long milliseconds = 0;
        foreach (char c in whole)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            milliseconds = (milliseconds * 10) + (c - '0');
        }

        milliseconds *= 1000;
        long scale = 100;
        foreach (char c in fraction)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            milliseconds += (c - '0') * scale;
            scale /= 10;
        }

        if (milliseconds <= 0 || milliseconds > MaxDurationMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>
    /// A listen address: an IPv4 dotted quad, an IPv6 literal (optionally in brackets, which are
    /// removed) or a DNS host name. Shorthand IPv4 forms that <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>
    /// accepts ("1" = 0.0.0.1, "0x7f.1") are refused: they are almost always typos.
    /// </summary>
    public static bool TryParseHost(string text, out string host)
    {
        host = text;
        if (text.Length == 0 || text.Length > 253)
        {
            return false;
        }

        string candidate = text.Length > 2 && text[0] == '[' && text[^1] == ']' ? text[1..^1] : text;
        if (candidate.Contains(':', StringComparison.Ordinal))
        {
            if (IPAddress.TryParse(candidate, out IPAddress? v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
            {
                host = candidate;
                return true;
            }

            return false;
        }

        if (candidate.Length != text.Length)
        {
            return false;
        }

        bool onlyDigitsAndDots = true;
        foreach (char c in candidate)
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                onlyDigitsAndDots = false;
                break;
            }
        }

        if (onlyDigitsAndDots)
        {
            return IsDottedQuad(candidate);
        }

        return Uri.CheckHostName(candidate) == UriHostNameType.Dns;
    }

    /// <summary>
    /// An absolute http:// or https:// URL without query, fragment, whitespace or control
    /// characters; normalized so that its path ends with '/' (so that joining "chat/completions"
    /// onto ".../v1" gives ".../v1/chat/completions").
    /// </summary>
    public static bool TryParseTargetUrl(string text, out Uri url, out string reason)
    {
        url = ProxySettings.DefaultTargetBaseUrl;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                reason = "expected a URL without spaces or control characters";
                return false;
            }
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? parsed))
        {
            reason = "expected an absolute http:// or https:// URL (e.g. http://localhost:8080/v1)";
            return false;
        }

        return TryNormalizeTargetUrl(parsed, text, out url, out reason);
    }

    /// <summary>Validates and normalizes an already-built URI; see <see cref="TryParseTargetUrl"/>.</summary>
    public static bool TryNormalizeTargetUrl(Uri parsed, string originalText, out Uri url, out string reason)
    {
        url = ProxySettings.DefaultTargetBaseUrl;
        if (!parsed.IsAbsoluteUri
            || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps)
            || parsed.Host.Length == 0)
        {
            reason = "expected an absolute http:// or https:// URL (e.g. http://localhost:8080/v1)";
            return false;
        }

        // Request paths are joined onto the base path: a query or fragment in the base has no
        // place to go, so it is refused rather than silently dropped.
        if (parsed.Query.Length > 0 || parsed.Fragment.Length > 0
            || originalText.Contains('?', StringComparison.Ordinal) || originalText.Contains('#', StringComparison.Ordinal))
        {
            reason = "expected a base URL without a query (?...) or fragment (#...)";
            return false;
        }

        url = parsed.AbsolutePath.EndsWith('/') ? parsed : new Uri(parsed.AbsoluteUri + "/");
        reason = "";
        return true;
    }

    /// <summary>
    /// HTTPS_PROXY / HTTP_PROXY: <c>http://[user:password@]host[:port]</c>; without a scheme it is http, as curl takes
    /// <c>proxy.example:3128</c>. The proxy itself is spoken to in plain HTTP (CONNECT for https upstreams).
    /// </summary>
    public static bool TryParseProxyUrl(string text, out Uri? url, out string reason)
    {
        url = null;
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "http://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var parsed) || parsed.Host.Length == 0
            || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            reason = "expected a proxy URL such as http://proxy.example:3128";
            return false;
        }

        if (parsed.Scheme != Uri.UriSchemeHttp)
        {
            reason = "expected an http:// proxy (the proxy is spoken to in plain HTTP; https upstreams go through it by CONNECT)";
            return false;
        }

        if (parsed.AbsolutePath != "/" || parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            reason = "expected a proxy URL without a path (http://host:port)";
            return false;
        }

        url = parsed;
        reason = "";
        return true;
    }

    /// <summary>
    /// A comma-separated list of browser origins, serialized as a browser sends them in Origin (scheme://host[:port], the
    /// default port left out: RFC 6454 §6.2), or "*" alone. Empty entries are skipped. False with a reason naming the first bad entry.
    /// </summary>
    public static bool TryParseOrigins(string text, out IReadOnlyList<string> origins, out string reason)
    {
        const string Syntax = "expected origins such as https://app.example.com or http://localhost:3000, comma-separated, or * for any";
        var list = new List<string>();
        origins = list;
        reason = "";
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw == "*")
            {
                list.Add(raw);
                continue;
            }

            if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0
                || uri.PathAndQuery != "/" || uri.Fragment.Length > 0)
            {
                reason = $"entry '{raw}' is not an origin (scheme://host[:port], no path); {Syntax}";
                return false;
            }

            list.Add(uri.GetLeftPart(UriPartial.Authority));
        }

        if (list.Count > 1 && list.Contains("*"))
        {
            reason = $"* allows any origin and cannot be combined with a list; {Syntax}";
            return false;
        }

        return true;
    }

    /// <summary>
    /// A comma-separated list of IP addresses and CIDR ranges (10.0.0.0/8, 192.168.1.5, ::1, fd00::/8); an address alone
    /// is a range of one. Empty entries (a trailing comma) are skipped. False with a reason naming the first bad entry.
    /// </summary>
    public static bool TryParseNetworks(string text, out IReadOnlyList<IPNetwork> networks, out string reason)
    {
        var parsed = new List<IPNetwork>();
        networks = parsed;
        reason = "";
        foreach (string raw in text.Split(','))
        {
            string entry = raw.Trim(' ', '\t');
            if (entry.Length == 0)
            {
                continue;
            }

            if (!TryParseNetwork(entry, out IPNetwork network, out string problem))
            {
                reason = $"entry '{entry}' {problem}; expected IP addresses and CIDR ranges separated by commas (e.g. 10.0.0.0/8,192.168.1.5,::1,fd00::/8)";
                return false;
            }

            parsed.Add(network);
        }

        return true;
    }

    private static bool TryParseNetwork(string entry, out IPNetwork network, out string problem)
    {
        network = default;
        int slash = entry.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? entry : entry[..slash];

        // IPAddress.TryParse also takes inet_aton's forms ("10", "10.1", "0x0a.0.0.1") and zone ids: only the plain forms here.
        bool isIPv6 = addressText.Contains(':', StringComparison.Ordinal);
        if ((isIPv6 ? addressText.Contains('%', StringComparison.Ordinal) : !IsDottedQuad(addressText))
            || !IPAddress.TryParse(addressText, out IPAddress? address))
        {
            problem = "is not an IPv4 or IPv6 address";
            return false;
        }

        int maxBits = isIPv6 ? 128 : 32;
        int bits = maxBits;
        if (slash >= 0 && !TryParseInteger(entry[(slash + 1)..], 0, maxBits, out bits))
        {
            problem = $"has a prefix length that is not a whole number from 0 to {maxBits}";
            return false;
        }

        // IPNetwork refuses an address with bits set past the prefix: say which range was probably meant.
        var masked = new IPNetwork(MaskTo(address, bits), bits);
        if (!masked.BaseAddress.Equals(address))
        {
            problem = $"has bits set past its /{bits} prefix (did you mean {masked}?)";
            return false;
        }

        network = masked;
        problem = "";
        return true;
    }

    private static IPAddress MaskTo(IPAddress address, int bits)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(bits - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static bool IsDottedQuad(string text)
    {
        int parts = 0;
        foreach (string part in text.Split('.'))
        {
            if (!TryParseInteger(part, 0, 255, out _) || part.Length > 3)
            {
                return false;
            }

            parts++;
        }

        return parts == 4;
    }
}
