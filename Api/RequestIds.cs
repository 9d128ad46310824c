using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>
/// The id of each request (X-Request-Id): the client's when it sends a usable one, else made here. Made ids are a
/// per-process random prefix and a counter, so they are unique within the process, unlikely to repeat across replicas,
/// and cost one short string.
/// </summary>
internal static class RequestIds
{
    /// <summary>The longest client id kept; a longer one is replaced.</summary>
    public const int MaxLength = 128;

    // Letters, digits and . _ : + = / @ - : enough for UUIDs, ULIDs, base64 and the ids tracing systems send, and nothing
    // that needs quoting in a log line, a JSON string or a header.
    private static readonly SearchValues<char> s_allowed = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:+=/@-");

    // Not RandomNumberGenerator: on Linux that loads OpenSSL, about 10 MB of resident memory for a proxy that may never
    // speak TLS (measured: idle RSS 8.5 MB without it, 19.3 MB with it). The runtime's own seed is random enough here.
    private static readonly string s_prefix = Random.Shared.NextInt64(0, 1L << 32).ToString("x8", CultureInfo.InvariantCulture);
    private static long s_counter;

    /// <summary>The client's X-Request-Id when it is 1 to <see cref="MaxLength"/> allowed characters, else a new id.</summary>
    public static string For(HttpRequest request)
    {
        // A walk over the fields as a span, the name's length checked first: this runs for every request.
        foreach (var (name, value) in CollectionsMarshal.AsSpan(request.Headers))
        {
            if (name.Length == HeaderNames.RequestId.Length && name.Equals(HeaderNames.RequestId, StringComparison.OrdinalIgnoreCase))
            {
                return IsUsable(value) ? value : Next();
            }
        }

        return Next();
    }

    public static bool IsUsable(string id) => id.Length is > 0 and <= MaxLength && !id.AsSpan().ContainsAnyExcept(s_allowed);

    /// <summary>A new id: <c>{8 hex digits of this process}-{counter}</c>.</summary>
    public static string Next()
    {
        var number = Interlocked.Increment(ref s_counter);
        Span<char> id = stackalloc char[32];
        s_prefix.CopyTo(id);
        id[s_prefix.Length] = '-';
        number.TryFormat(id[(s_prefix.Length + 1)..], out var digits, default, CultureInfo.InvariantCulture);
        return new string(id[..(s_prefix.Length + 1 + digits)]);
    }
}
