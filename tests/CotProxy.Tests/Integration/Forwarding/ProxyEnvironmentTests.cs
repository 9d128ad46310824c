using System.Net;
using System.Text.RegularExpressions;
using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// HTTPS_PROXY / HTTP_PROXY / NO_PROXY and SSL_CERT_FILE (README, "Reaching upstreams: proxies and private CAs"): a
/// real forward proxy on loopback sees the requests it should, NO_PROXY bypasses it, and a TLS upstream signed by a
/// private CA is trusted exactly when SSL_CERT_FILE names that CA.
/// </summary>
public sealed partial class ProxyEnvironmentTests
{
    private const string Chat = """{"model":"m","messages":[]}""";

    [Fact]
    public async Task HttpProxy_HttpUpstream_RequestGoesThroughTheProxyInAbsoluteForm()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var forward = new ForwardProxy();
        await using var proxy = Start(server.BaseUrl, httpProxy: forward.Url);

        var response = await PostAsync(proxy);

        Assert.Equal(200, response.Status);
        Assert.Equal($"POST http://127.0.0.1:{server.EndPoint.Port}/v1/chat/completions HTTP/1.1", Assert.Single(forward.RequestLines));
        Assert.Equal("/v1/chat/completions", (await upstream.NextAsync()).Target);
    }

    [Fact]
    public async Task HttpsProxy_HttpsUpstream_TunnelledByConnect()
    {
        await using var upstream = new TlsUpstream();
        await using var forward = new ForwardProxy();
        await using var proxy = Start(upstream.BaseUrl(), httpsProxy: forward.Url, caFile: upstream.CaFile);

        var response = await PostAsync(proxy);

        Assert.Equal(200, response.Status);
        Assert.Equal($"CONNECT localhost:{upstream.Port} HTTP/1.1", Assert.Single(forward.RequestLines));
        Assert.Equal("POST /v1/chat/completions HTTP/1.1", Assert.Single(upstream.RequestLines));
    }

    [Theory]
    [InlineData("https")]
    [InlineData("http")]
    public async Task ProxyWithUserInfo_407Challenge_AnsweredWithBasicCredentials(string scheme)
    {
        await using var tls = new TlsUpstream();
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var forward = new ForwardProxy { RequiredCredentials = "alice:p@ss word" };
        var withUser = new Uri($"http://alice:p%40ss%20word@127.0.0.1:{forward.Port}");
        await using var proxy = scheme == "https"
            ? Start(tls.BaseUrl(), httpsProxy: withUser, caFile: tls.CaFile)
            : Start(server.BaseUrl, httpProxy: withUser);

        var response = await PostAsync(proxy);

        Assert.Equal(200, response.Status);
        Assert.Equal(1, forward.Challenges);
    }

    [Fact]
    public async Task HttpsProxyOnly_HttpUpstream_Direct()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var forward = new ForwardProxy();
        await using var proxy = Start(server.BaseUrl, httpsProxy: forward.Url);

        Assert.Equal(200, (await PostAsync(proxy)).Status);
        Assert.Empty(forward.RequestLines);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("127.0.0.0/8", "127.0.0.1")]
    [InlineData("example.com, localhost", "localhost")]
    [InlineData(".localhost", "localhost")]
    [InlineData("*", "127.0.0.1")]
    public async Task NoProxy_HostListed_Direct(string noProxy, string host)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var forward = new ForwardProxy();
        await using var proxy = Start(new Uri($"http://{host}:{server.EndPoint.Port}/v1/"), httpProxy: forward.Url, noProxy: noProxy);

        Assert.Equal(200, (await PostAsync(proxy)).Status);
        Assert.Empty(forward.RequestLines);
        Assert.Equal("/v1/chat/completions", (await upstream.NextAsync()).Target);
    }

    [Fact]
    public async Task NoProxy_OtherHost_StillThroughTheProxy()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var forward = new ForwardProxy();
        await using var proxy = Start(server.BaseUrl, httpProxy: forward.Url, noProxy: "localhost,10.0.0.0/8,127.0.0.2");

        Assert.Equal(200, (await PostAsync(proxy)).Status);
        Assert.Single(forward.RequestLines);
    }

    [Fact]
    public async Task SslCertFile_PrivateCa_UpstreamTrusted()
    {
        await using var upstream = new TlsUpstream();
        await using var proxy = Start(upstream.BaseUrl(), caFile: upstream.CaFile);

        var response = await PostAsync(proxy);

        Assert.Equal(200, response.Status);
        Assert.Equal("""{"ok":true}""", response.Body);
    }

    [Fact]
    public async Task NoSslCertFile_PrivateCa_502TlsFailure()
    {
        await using var upstream = new TlsUpstream();
        await using var proxy = Start(upstream.BaseUrl());

        var response = await PostAsync(proxy);

        Assert.Equal(502, response.Status);
        Assert.Empty(upstream.RequestLines);
    }

    [Fact]
    public async Task SslCertFile_HostNameNotInTheCertificate_502()
    {
        // The CA is trusted, but the certificate names localhost and 127.0.0.1, not 127.0.0.2: names are still checked.
        await using var upstream = new TlsUpstream();
        await using var proxy = Start(new Uri($"https://127.0.0.2:{upstream.Port}/v1/"), caFile: upstream.CaFile);

        var response = await PostAsync(proxy);

        Assert.Equal(502, response.Status);
        Assert.Empty(upstream.RequestLines);
    }

    [Fact]
    public async Task Process_EnvironmentProxyAndCaFile_UsedAndLoggedWithoutCredentials()
    {
        // The real program reads the variables from its environment at start (lower-case https_proxy, as curl).
        await using var upstream = new TlsUpstream();
        await using var forward = new ForwardProxy();
        await using var process = await ProxyProcess.StartAsync(
            ["--port", "0", "--target", upstream.BaseUrl().AbsoluteUri],
            new Dictionary<string, string>
            {
                ["https_proxy"] = $"http://alice:s3cret@127.0.0.1:{forward.Port}",
                ["NO_PROXY"] = "example.com",
                ["SSL_CERT_FILE"] = upstream.CaFile,
            });

        using var connection = await RawConnection.OpenAsync(process.EndPoint);
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: {Chat.Length}\r\n\r\n{Chat}");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal($"CONNECT localhost:{upstream.Port} HTTP/1.1", Assert.Single(forward.RequestLines));
        var proxyLine = await process.WaitForLineAsync(ProxyLine(), TimeSpan.FromSeconds(5));
        Assert.Contains($"via http://***@127.0.0.1:{forward.Port}/ (HTTPS_PROXY)", proxyLine, StringComparison.Ordinal);
        Assert.Contains("NO_PROXY=example.com", proxyLine, StringComparison.Ordinal);
        await process.WaitForLineAsync(CaLine(), TimeSpan.FromSeconds(5));
        Assert.DoesNotContain("s3cret", process.Output, StringComparison.Ordinal);
        Assert.Contains(upstream.CaFile + " (SSL_CERT_FILE)", process.Output, StringComparison.Ordinal);
    }

    private static ProxyHost Start(Uri target, Uri? httpsProxy = null, Uri? httpProxy = null, string? noProxy = null, string? caFile = null)
    {
        var settings = new ProxySettings
        {
            TargetBaseUrl = target,
            ApiRequestTimeout = TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            HttpsProxy = httpsProxy,
            HttpProxy = httpProxy,
            NoProxy = noProxy,
            SslCertFile = caFile,
        };
        return ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));
    }

    private static async Task<RawResponse> PostAsync(ProxyHost proxy)
    {
        using var connection = await RawConnection.OpenAsync(proxy.LocalEndPoint);
        await connection.SendAsync($"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: {Chat.Length}\r\n\r\n{Chat}");
        return await connection.ReadResponseAsync();
    }

    [GeneratedRegex(@"info upstream proxy: ")]
    private static partial Regex ProxyLine();

    [GeneratedRegex(@"info upstream TLS trusts only the 1 CA certificate\(s\) in ")]
    private static partial Regex CaLine();
}
