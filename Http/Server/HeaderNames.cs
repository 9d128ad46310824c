using System.Text;

namespace CotProxy.Http.Server;

/// <summary>Well-known header names, so that parsing a common header allocates no new name string.</summary>
internal static class HeaderNames
{
    public const string ContentType = "Content-Type";

    /// <summary>The request id a client may send and every response carries.</summary>
    public const string RequestId = "X-Request-Id";

    /// <summary>The upstream's own request id, when it differs from the proxy's.</summary>
    public const string UpstreamRequestId = "X-Upstream-Request-Id";

    private static readonly string[] s_common =
    [
        "Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Content-Type",
        "Content-Length", "Connection", "Transfer-Encoding", "Expect", "Keep-Alive", "Cache-Control", "Origin",
        "Referer", "Cookie", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-Id",
        "OpenAI-Organization", "OpenAI-Project", "OpenAI-Beta", "X-Stainless-Lang", "X-Stainless-Package-Version",
        "X-Stainless-OS", "X-Stainless-Arch", "X-Stainless-Runtime", "X-Stainless-Runtime-Version",
        "X-Stainless-Retry-Count", "X-Stainless-Timeout", "Api-Key", "X-Api-Key", "TE", "Upgrade", "Priority",
    ];

    // The names above grouped by length, so a lookup compares only the few names as long as the one it is given.
    private static readonly string[][] s_byLength = GroupByLength(s_common);

    public static string Intern(ReadOnlySpan<byte> name)
    {
        if (name.Length < s_byLength.Length)
        {
            foreach (var known in s_byLength[name.Length])
            {
                if (Ascii.EqualsIgnoreCase(name, known))
                {
                    // Keep the client's spelling when it differs only in case: it is forwarded as received.
                    return Ascii.Equals(name, known) ? known : Encoding.ASCII.GetString(name);
                }
            }
        }

        return Encoding.ASCII.GetString(name);
    }

    private static string[][] GroupByLength(string[] names)
    {
        var groups = new string[names.Max(n => n.Length) + 1][];
        for (var length = 0; length < groups.Length; length++)
        {
            groups[length] = [.. names.Where(n => n.Length == length)];
        }

        return groups;
    }
}
