using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace CotProxy.Http.Forwarding;

/// <summary>The one <see cref="SocketsHttpHandler"/> of the process: pooled connections to the upstream, shared by every request.</summary>
internal static class UpstreamClient
{
    /// <summary>
    /// The handler. <paramref name="proxy"/>: HTTPS_PROXY / HTTP_PROXY / NO_PROXY, or null to connect directly (the
    /// runtime's own reading of the environment stays off, so only what the settings say applies).
    /// <paramref name="trustedRoots"/>: SSL_CERT_FILE's certificates, which then replace the system's CA store.
    /// </summary>
    public static HttpMessageInvoker Create(TimeSpan connectTimeout, UpstreamProxy? proxy = null, X509Certificate2Collection? trustedRoots = null)
    {
        var handler = new SocketsHttpHandler
        {
            // A proxy is transparent: no cookie jar, no redirect following, no decompression (as YARP).
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = proxy is not null,
            Proxy = proxy,
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
            SslOptions = trustedRoots is null
                ? new SslClientAuthenticationOptions
                {
                    // TLS certificates are verified by the system trust store; SSL_CERT_FILE is the only override.
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                }
                : new SslClientAuthenticationOptions
                {
                    // SSL_CERT_FILE replaces the system's CAs, as curl's --cacert (and SSL_CERT_FILE) does: a file that
                    // should trust public servers too must hold their CAs as well. Host names are still checked.
                    CertificateChainPolicy = TrustOnly(trustedRoots),
                },
        };

        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>SSL_CERT_FILE's certificates (PEM, one or more); throws when the file cannot be read or holds none.</summary>
    public static X509Certificate2Collection LoadCertificates(string path)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(path);
        if (certificates.Count == 0)
        {
            throw new InvalidDataException($"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }

        return certificates;
    }

    private static X509ChainPolicy TrustOnly(X509Certificate2Collection roots)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }
}
