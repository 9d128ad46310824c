using System.IO.Compression;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Undoes the content codings of a body the proxy must read: the proxy asks for identity when it rewrites, but an
/// upstream may compress anyway, and a compressed thought must not pass for want of being readable.
/// </summary>
internal static class ContentDecoding
{
    /// <summary>True when every coding is one the proxy can undo: gzip, deflate (RFC 9110 §8.4.1), br (RFC 7932), or identity.</summary>
    public static bool CanDecode(ICollection<string> codings)
    {
        foreach (var coding in codings)
        {
            if (!IsIdentity(coding) && !IsKnown(coding))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the codings change nothing (none, or only identity).</summary>
    public static bool IsIdentity(ICollection<string> codings) => codings.All(IsIdentity);

    /// <summary>The decoded body. RFC 9110 §8.4: codings are listed in the order they were applied, so they are undone last first.</summary>
    public static Stream Decode(Stream body, ICollection<string> codings)
    {
        var decoded = body;
        foreach (var coding in codings.Reverse())
        {
            decoded = coding.Trim().ToLowerInvariant() switch
            {
                // RFC 9110 §8.4.1.3: a recipient SHOULD treat x-gzip as gzip.
                "gzip" or "x-gzip" => new GZipStream(decoded, CompressionMode.Decompress),
                // RFC 9110 §8.4.1.2: "deflate" is the zlib format (RFC 1950) around a deflate stream.
                "deflate" => new ZLibStream(decoded, CompressionMode.Decompress),
                "br" => new BrotliStream(decoded, CompressionMode.Decompress),
                _ => decoded,
            };
        }

        return decoded;
    }

    private static bool IsIdentity(string coding) => coding.Trim().Equals("identity", StringComparison.OrdinalIgnoreCase);

    private static bool IsKnown(string coding) => coding.Trim().ToLowerInvariant() is "gzip" or "x-gzip" or "deflate" or "br";
}
