using System.Text;

namespace CotProxy.Http;

/// <summary>DEBUG=true detail: request headers and bodies, truncated, with credentials always redacted.</summary>
internal static class DebugLog
{
    private const int MaxBodyChars = 2048;

    public static void Request(HttpContext context, ReadOnlySpan<byte> body)
    {
        var request = context.Request;
        var text = new StringBuilder(512).Append(request.Method).Append(' ').Append(Log.SafeText(request.Target, 200)).Append(" headers:");
        foreach (var (name, value) in request.Headers)
        {
            text.Append(' ').Append(name).Append('=').Append(IsSecret(name) ? Redact(value) : Log.SafeText(value, 200)).Append(';');
        }

        var shown = Encoding.UTF8.GetString(body[..Math.Min(body.Length, MaxBodyChars)]);
        text.Append(" body(").Append(body.Length).Append(" bytes): ").Append(Log.SafeText(shown, MaxBodyChars));
        Log.Debug(text.ToString());
    }

    public static bool IsSecret(string headerName) =>
        headerName.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Cookie", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("Api-Key", StringComparison.OrdinalIgnoreCase)
        || headerName.Equals("X-Api-Key", StringComparison.OrdinalIgnoreCase)
        || headerName.Contains("token", StringComparison.OrdinalIgnoreCase)
        || headerName.Contains("secret", StringComparison.OrdinalIgnoreCase);

    /// <summary>Keeps the scheme word ("Bearer") so a reader can tell what kind of credential was sent, never the credential.</summary>
    public static string Redact(string value)
    {
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && space < 16 ? string.Concat(value.AsSpan(0, space), " ***") : "***";
    }
}
