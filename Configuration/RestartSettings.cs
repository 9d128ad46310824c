using System.Globalization;

namespace CotProxy.Configuration;

/// <summary>
/// The settings a reload cannot apply to the running process: the listening socket (HOST, PORT) and its limits, the
/// shared upstream connection pool's connect timeout, proxy and trusted CAs, demo mode and the log level. A reload keeps their running values.
/// </summary>
internal static class RestartSettings
{
    /// <summary>One line per such setting whose value differs: "PORT 5000 -> 6000: needs a restart".</summary>
    public static IEnumerable<string> Changed(ProxySettings running, ProxySettings next)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(next);
        (string Name, string Running, string Next)[] values =
        [
            (SettingNames.Host, running.Host, next.Host),
            (SettingNames.Port, Text(running.Port), Text(next.Port)),
            (SettingNames.Demo, Text(running.Demo), Text(next.Demo)),
            (SettingNames.Debug, Text(running.Debug), Text(next.Debug)),
            (SettingNames.ConnectTimeout, Text(running.ConnectTimeout), Text(next.ConnectTimeout)),
            (SettingNames.MaxRequestBodyMb, Text(running.MaxRequestBodyBytes / (1024 * 1024)), Text(next.MaxRequestBodyBytes / (1024 * 1024))),
            (SettingNames.RequestHeadersTimeout, Text(running.RequestHeadersTimeout), Text(next.RequestHeadersTimeout)),
            (SettingNames.RequestBodyTimeout, Text(running.RequestBodyTimeout), Text(next.RequestBodyTimeout)),
            (SettingNames.KeepAliveTimeout, Text(running.KeepAliveTimeout), Text(next.KeepAliveTimeout)),
            // The shared SocketsHttpHandler is built once with its proxy and trust store.
            (SettingNames.HttpsProxy, Redacted(running.HttpsProxy), Redacted(next.HttpsProxy)),
            (SettingNames.HttpProxy, Redacted(running.HttpProxy), Redacted(next.HttpProxy)),
            (SettingNames.NoProxy, running.NoProxy ?? "(none)", next.NoProxy ?? "(none)"),
            (SettingNames.SslCertFile, running.SslCertFile ?? "(none)", next.SslCertFile ?? "(none)"),
        ];
        foreach (var (name, was, now) in values)
        {
            if (was != now)
            {
                yield return $"{name} {was} -> {now}: needs a restart (the running value stays)";
            }
        }
    }

    private static string Redacted(Uri? proxy) => proxy is null ? "(none)" : SecretRedactor.RedactUrlUserInfo(proxy.AbsoluteUri);

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(bool value) => value ? "true" : "false";

    private static string Text(TimeSpan value) => (value.TotalMilliseconds / 1000).ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
