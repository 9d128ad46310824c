using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace CotProxy.Tests.Support;

/// <summary>
/// An HTTPS upstream on loopback whose certificate (for localhost and 127.0.0.1) is signed by a private CA made for
/// the test. <see cref="CaFile"/> holds that CA as PEM, as SSL_CERT_FILE names one. Each connection gets one answer,
/// <c>200 {"ok":true}</c>, and closes; the request lines it read are recorded.
/// </summary>
internal sealed class TlsUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _requestLines = new();
    private readonly X509Certificate2 _certificate;
    private readonly string _directory;
    private readonly Task _acceptLoop;

    public TlsUpstream()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=cot-proxy test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var signed = request.Create(ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(key);

        // Through PKCS#12, so the private key is usable by the TLS server on every platform.
        _certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        _directory = Directory.CreateTempSubdirectory("cot-proxy-ca-").FullName;
        CaFile = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(CaFile, ca.ExportCertificatePem() + "\n");
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The upstream's base URL, by name (localhost) or by address.</summary>
    public Uri BaseUrl(string host = "localhost") => new($"https://{host}:{Port}/v1/");

    /// <summary>The private CA's certificate, PEM.</summary>
    public string CaFile { get; }

    public IReadOnlyList<string> RequestLines => [.. _requestLines];

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The listener was stopped under the pending accept.
        }

        _certificate.Dispose();
        _stop.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or AuthenticationException)
                {
                    // A client that refused the certificate, or went away.
                }
                finally
                {
                    client.Dispose();
                }
            });
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken token)
    {
        await using var tls = new SslStream(new NetworkStream(client, ownsSocket: false));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, token);
        var buffer = new byte[16384];
        var length = 0;
        while (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
        {
            var read = await tls.ReadAsync(buffer.AsMemory(length), token);
            if (read == 0)
            {
                return;
            }

            length += read;
        }

        var head = Encoding.Latin1.GetString(buffer, 0, length);
        _requestLines.Enqueue(head[..head.IndexOf("\r\n", StringComparison.Ordinal)]);
        await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}"u8.ToArray(), token);
        await tls.FlushAsync(token);
    }
}
