using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace CotProxy.Bench.SlowStreams;

/// <summary>
/// The request a wrk script sends, read from the script itself so that <c>client-floor</c> sends byte for byte what wrk
/// sent. Only the plain assignments <c>bench/run</c> writes are understood (<c>wrk.method</c>, <c>wrk.path</c>,
/// <c>wrk.headers["Name"]</c>, <c>wrk.body</c>, each a quoted string without escapes); any other line is an error, so a
/// richer script cannot be measured silently as something else.
/// </summary>
internal sealed record WrkRequest(HttpMethod Method, string Path, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body)
{
    private const string HeaderPrefix = "wrk.headers[\"";
    private const string HeaderSuffix = "\"]";

    public static bool TryParse(string script, [NotNullWhen(true)] out WrkRequest? request, out string error)
    {
        request = null;
        var method = "GET";
        var path = "/";
        var body = string.Empty;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var raw in script.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq < 0 || !TryUnquote(line[(eq + 3)..], out var value))
            {
                error = "unsupported line in the wrk script: " + line;
                return false;
            }

            var target = line[..eq];
            switch (target)
            {
                case "wrk.method":
                    method = value;
                    break;
                case "wrk.path":
                    path = value;
                    break;
                case "wrk.body":
                    body = value;
                    break;
                default:
                    if (target.StartsWith(HeaderPrefix, StringComparison.Ordinal) && target.EndsWith(HeaderSuffix, StringComparison.Ordinal)
                        && target.Length > HeaderPrefix.Length + HeaderSuffix.Length)
                    {
                        headers.Add(new(target[HeaderPrefix.Length..^HeaderSuffix.Length], value));
                        break;
                    }

                    error = "unsupported line in the wrk script: " + line;
                    return false;
            }
        }

        request = new WrkRequest(new HttpMethod(method), path, headers, Encoding.UTF8.GetBytes(body));
        error = string.Empty;
        return true;
    }

    /// <summary>A new message for one send: the handler owns and disposes it, as the proxy's forwarder does its own.</summary>
    public HttpRequestMessage CreateMessage(Uri url)
    {
        var message = new HttpRequestMessage(Method, url);
        if (Body.Length > 0)
        {
            message.Content = new ByteArrayContent(Body);
        }

        foreach (var (name, value) in Headers)
        {
            // Content-Type and the other content headers live on the content, not on the request (HttpClient's split).
            if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is { } content)
            {
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return message;
    }

    private static bool TryUnquote(string text, out string value)
    {
        // Lua strings: '…' or "…"; escapes are not needed by bench/run and not supported here.
        value = string.Empty;
        if (text.Length < 2 || text[0] is not ('\'' or '"') || text[^1] != text[0])
        {
            return false;
        }

        var inner = text[1..^1];
        if (inner.Contains('\\', StringComparison.Ordinal) || inner.Contains(text[0], StringComparison.Ordinal))
        {
            return false;
        }

        value = inner;
        return true;
    }
}
