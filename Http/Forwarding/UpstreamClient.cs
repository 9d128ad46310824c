using System.Net;
using System.Net.Security;

namespace CotProxy.Http.Forwarding;

/// <summary>The one <see cref="SocketsHttpHandler"/> of the process: pooled connections to the upstream, shared by every request.</summary>
internal static class UpstreamClient
{
    public static HttpMessageInvoker Create(TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            // A proxy is transparent: no cookie jar, no redirect following, no decompression, no environment proxy (as YARP).
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = int.MaxValue,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            MaxResponseHeadersLength = 64,

            // Our parser keeps header values as Latin-1 (one char per byte, RFC 9110 §5.5 obs-text included); HttpClient's
            // default ASCII encoder throws on them, so a UTF-8 value (Open WebUI's X-OpenWebUI-User-Name) failed the request.
            RequestHeaderEncodingSelector = static (_, _) => System.Text.Encoding.Latin1,
            SslOptions = new SslClientAuthenticationOptions
            {
                // TLS certificates are verified by the system trust store; no override exists on purpose.
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            },
        };

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}
