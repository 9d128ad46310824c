using System.Text;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>DEBUG=true detail: request headers and bodies, truncated, with credentials always masked (<see cref="LogRedaction"/>).</summary>
internal static class DebugLog
{
    private const int MaxBodyBytes = 2048;

    /// <summary>The request's headers and, when the proxy buffered it (JSON), its body; a streamed body is only named.</summary>
    public static void Request(HttpContext context, ReadOnlySpan<byte> body, bool buffered)
    {
        var request = context.Request;
        var text = new StringBuilder(512).Append("request ").Append(request.Method).Append(' ').Append(Log.Target(request.Target)).Append(" headers:");
        AppendHeaders(text, request.Headers);
        if (!buffered)
        {
            text.Append(request.HasBody ? " body: streamed through, not logged" : " body: none");
        }
        else
        {
            // Masked within the logged prefix itself, so a secret value cut by the limit is still masked.
            var shown = LogRedaction.Body(body[..Math.Min(body.Length, MaxBodyBytes)]);
            text.Append(" body(").Append(body.Length).Append(" bytes): ").Append(Log.SafeText(shown, MaxBodyBytes + 64));
        }

        Log.Debug(text.ToString(), context.RequestId);
    }

    /// <summary>The upstream's status and the headers sent on to the client.</summary>
    public static void Response(HttpContext context, int status, List<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder(256).Append("response ").Append(context.Request.Method).Append(' ').Append(Log.Target(context.Request.Target))
            .Append(" status=").Append(status).Append(" headers:");
        AppendHeaders(text, headers);
        Log.Debug(text.ToString(), context.RequestId);
    }

    private static void AppendHeaders(StringBuilder text, List<KeyValuePair<string, string>> headers)
    {
        foreach (var (name, value) in headers)
        {
            // Masked whole: a scheme word kept in front would also keep the first part of "sid=…; other=…" or "sk-… x".
            text.Append(' ').Append(Log.SafeText(name, 100)).Append('=').Append(LogRedaction.Header(name, value, 200)).Append(';');
        }
    }
}
