namespace CotProxy.Http.Forwarding;

/// <summary>Headers that describe one connection, not the message, and so are never forwarded (RFC 9110 §7.6.1).</summary>
internal static class HopByHop
{
    public static bool IsHopByHop(string name) => name.Length switch
    {
        2 => name.Equals("TE", StringComparison.OrdinalIgnoreCase),
        7 => name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase),
        10 => name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase),
        17 => name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
        _ => false,
    } || (name.Length >= 6 && (name[0] | 0x20) == 'p' && name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The Connection value when it names fields to drop, or null when it names none: "keep-alive" names a field that is
    /// hop-by-hop anyway and "close" names none, and those two are all that clients and servers send in practice.
    /// </summary>
    public static string? NamedFields(string? connection)
    {
        // The two values nearly every message has, without splitting them.
        if (string.IsNullOrEmpty(connection) || connection.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) || connection.Equals("close", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var range in connection.AsSpan().Split(','))
        {
            var option = connection.AsSpan()[range].Trim(" \t");
            if (!option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) && !option.Equals("close", StringComparison.OrdinalIgnoreCase))
            {
                return connection;
            }
        }

        return null;
    }

    /// <summary>RFC 9110 §7.6.1: every field named in Connection is hop-by-hop too. <paramref name="namedFields"/> comes from <see cref="NamedFields"/>.</summary>
    public static bool IsNamedByConnection(string name, string? namedFields)
    {
        if (namedFields is null)
        {
            return false;
        }

        foreach (var range in namedFields.AsSpan().Split(','))
        {
            if (namedFields.AsSpan()[range].Trim(" \t").Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
