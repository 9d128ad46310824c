using System.Net;
using System.Net.Security;

namespace CotProxy.Http;

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
            SslOptions = new SslClientAuthenticationOptions
            {
                // TLS certificates are verified by the system trust store; no override exists on purpose.
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            },
        };

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}
