using System.Text;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>DEBUG=true detail: request headers and bodies, truncated, with credentials always redacted.</summary>
internal static class DebugLog
{
    private const int MaxBodyChars = 2048;

    /// <summary>The request's headers and, when the proxy buffered it (JSON), its body; a streamed body is only named.</summary>
    public static void Request(HttpContext context, ReadOnlySpan<byte> body, bool buffered)
    {
        var request = context.Request;
        var text = new StringBuilder(512).Append("request ").Append(request.Method).Append(' ').Append(Log.SafeText(request.Target, 200)).Append(" headers:");
        AppendHeaders(text, request.Headers);
        if (!buffered)
        {
            text.Append(request.HasBody ? " body: streamed through, not logged" : " body: none");
        }
        else
        {
            var shown = Encoding.UTF8.GetString(body[..Math.Min(body.Length, MaxBodyChars)]);
            text.Append(" body(").Append(body.Length).Append(" bytes): ").Append(Log.SafeText(shown, MaxBodyChars));
        }

        Log.Debug(text.ToString());
    }

    /// <summary>The upstream's status and the headers sent on to the client.</summary>
    public static void Response(HttpContext context, int status, List<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder(256).Append("response ").Append(context.Request.Method).Append(' ').Append(Log.SafeText(context.Request.Target, 200))
            .Append(" status=").Append(status).Append(" headers:");
        AppendHeaders(text, headers);
        Log.Debug(text.ToString());
    }

    private static void AppendHeaders(StringBuilder text, List<KeyValuePair<string, string>> headers)
    {
        foreach (var (name, value) in headers)
        {
            text.Append(' ').Append(name).Append('=').Append(SecretNames.IsSecret(name) ? Redact(value) : Log.SafeText(value, 200)).Append(';');
        }
    }

    /// <summary>Keeps the scheme word ("Bearer") so a reader can tell what kind of credential was sent, never the credential.</summary>
    public static string Redact(string value)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && space < 16 ? string.Concat(value.AsSpan(0, space), " ***") : "***";
    }
}
