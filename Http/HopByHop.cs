namespace CotProxy.Http;

/// <summary>Headers that describe one connection, not the message, and so are never forwarded (RFC 9110 §7.6.1).</summary>
internal static class HopByHop
{
    public static bool IsHopByHop(string name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase);

    /// <summary>RFC 9110 §7.6.1: every field named in Connection is hop-by-hop too.</summary>
    public static bool IsNamedByConnection(string name, string? connection)
    {
        if (string.IsNullOrEmpty(connection))
        {
            return false;
        }

        foreach (var range in connection.AsSpan().Split(','))
        {
            if (connection.AsSpan()[range].Trim(" \t").Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
