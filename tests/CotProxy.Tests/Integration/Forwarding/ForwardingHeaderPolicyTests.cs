using System.Net;
using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// The forwarding headers' policy (README, "Forwarding headers"): X-Forwarded-For and Forwarded are appended to with the
/// peer's address; X-Forwarded-Proto, X-Forwarded-Host and X-Real-IP say what the proxy saw, unless the peer is trusted.
/// </summary>
public sealed class ForwardingHeaderPolicyTests
{
    private const string ClientClaims =
        "X-Forwarded-For: 203.0.113.7\r\nForwarded: for=203.0.113.7;proto=https\r\nX-Forwarded-Proto: https\r\n"
        + "X-Forwarded-Host: public.example\r\nX-Real-IP: 203.0.113.7\r\n";

    [Fact]
    public async Task UntrustedPeer_ChainsAppendedAndOwnValuesReplaceTheClients()
    {
        var received = await SendThroughProxyAsync(IPAddress.Loopback, trusted: "", ClientClaims);

        Assert.Equal("203.0.113.7, 127.0.0.1", Single(received, "X-Forwarded-For"));
        Assert.Equal("for=203.0.113.7;proto=https, for=127.0.0.1", Single(received, "Forwarded"));
        Assert.Equal("http", Single(received, "X-Forwarded-Proto"));
        Assert.Equal("inner.example:5000", Single(received, "X-Forwarded-Host"));
        Assert.Equal("127.0.0.1", Single(received, "X-Real-IP"));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0/8")]
    [InlineData("10.0.0.0/8,127.0.0.1/32")]
    [InlineData("0.0.0.0/0")]
    public async Task TrustedPeer_ChainsAppendedAndTheClientsValuesKept(string trusted)
    {
        var received = await SendThroughProxyAsync(IPAddress.Loopback, trusted, ClientClaims);

        Assert.Equal("203.0.113.7, 127.0.0.1", Single(received, "X-Forwarded-For"));
        Assert.Equal("for=203.0.113.7;proto=https, for=127.0.0.1", Single(received, "Forwarded"));
        Assert.Equal("https", Single(received, "X-Forwarded-Proto"));
        Assert.Equal("public.example", Single(received, "X-Forwarded-Host"));
        Assert.Equal("203.0.113.7", Single(received, "X-Real-IP"));
    }

    [Theory]
    [InlineData("127.0.0.2")]
    [InlineData("10.0.0.0/8")]
    [InlineData("::1")]
    [InlineData("::/0")]
    public async Task PeerOutsideEveryTrustedRange_TreatedAsUntrusted(string trusted)
    {
        var received = await SendThroughProxyAsync(IPAddress.Loopback, trusted, ClientClaims);

        Assert.Equal("http", Single(received, "X-Forwarded-Proto"));
        Assert.Equal("inner.example:5000", Single(received, "X-Forwarded-Host"));
        Assert.Equal("127.0.0.1", Single(received, "X-Real-IP"));
    }

    [Fact]
    public async Task TrustedPeerSendingNoneOfThem_ProxyFillsThemIn()
    {
        var received = await SendThroughProxyAsync(IPAddress.Loopback, "127.0.0.1", "");

        Assert.Equal("127.0.0.1", Single(received, "X-Forwarded-For"));
        Assert.Equal("for=127.0.0.1", Single(received, "Forwarded"));
        Assert.Equal("http", Single(received, "X-Forwarded-Proto"));
        Assert.Equal("inner.example:5000", Single(received, "X-Forwarded-Host"));
        Assert.Equal("127.0.0.1", Single(received, "X-Real-IP"));
    }

    [Fact]
    public async Task ClientRepeatsChainFields_JoinedIntoOneListEach()
    {
        var received = await SendThroughProxyAsync(
            IPAddress.Loopback, "", "X-Forwarded-For: 198.51.100.1\r\nForwarded: for=198.51.100.1\r\nX-Forwarded-For: 198.51.100.2\r\nforwarded: for=198.51.100.2\r\n");

        Assert.Equal("198.51.100.1, 198.51.100.2, 127.0.0.1", Single(received, "X-Forwarded-For"));
        Assert.Equal("for=198.51.100.1, for=198.51.100.2, for=127.0.0.1", Single(received, "Forwarded"));
    }

    [Fact]
    public async Task IPv6Peer_ForwardedNodeQuotedAndBracketed()
    {
        // RFC 7239 §6: an IPv6 node is bracketed, and so must be a quoted string.
        var received = await SendThroughProxyAsync(IPAddress.IPv6Loopback, "", ClientClaims);

        Assert.Equal("203.0.113.7, ::1", Single(received, "X-Forwarded-For"));
        Assert.Equal("for=203.0.113.7;proto=https, for=\"[::1]\"", Single(received, "Forwarded"));
        Assert.Equal("::1", Single(received, "X-Real-IP"));
        Assert.Equal("http", Single(received, "X-Forwarded-Proto"));
    }

    [Theory]
    [InlineData("::1")]
    [InlineData("::1/128")]
    [InlineData("::/0")]
    public async Task IPv6PeerTrusted_TheClientsValuesKept(string trusted)
    {
        var received = await SendThroughProxyAsync(IPAddress.IPv6Loopback, trusted, ClientClaims);

        Assert.Equal("https", Single(received, "X-Forwarded-Proto"));
        Assert.Equal("public.example", Single(received, "X-Forwarded-Host"));
        Assert.Equal("203.0.113.7", Single(received, "X-Real-IP"));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:127.0.0.0/104", true)]
    [InlineData("::1", false)]
    public async Task DualStackListenerAndIPv4Client_MatchedAsIPv4(string trusted, bool expectKept)
    {
        // A listener on :: sees the IPv4 client as ::ffff:127.0.0.1; it is written and matched as 127.0.0.1.
        var received = await SendThroughProxyAsync(IPAddress.IPv6Any, trusted, ClientClaims, connectTo: IPAddress.Loopback);

        Assert.Equal("203.0.113.7, 127.0.0.1", Single(received, "X-Forwarded-For"));
        Assert.Equal("for=203.0.113.7;proto=https, for=127.0.0.1", Single(received, "Forwarded"));
        Assert.Equal(expectKept ? "https" : "http", Single(received, "X-Forwarded-Proto"));
        Assert.Equal(expectKept ? "203.0.113.7" : "127.0.0.1", Single(received, "X-Real-IP"));
    }

    [Fact]
    public async Task HostWithPath_400AndNothingForwarded()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: evil.example/x\r\n\r\n");

        Assert.Equal(400, response.Status);
        Assert.Contains("\"code\":\"InvalidHost\"", response.Body, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    private static string Single(RecordedRequest received, string name) =>
        Assert.Single(received.Headers, h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Starts the proxy on <paramref name="listen"/> with TRUSTED_PROXIES = <paramref name="trusted"/>, sends one request, returns what the upstream got.</summary>
    private static async Task<RecordedRequest> SendThroughProxyAsync(IPAddress listen, string trusted, string headers, IPAddress? connectTo = null)
    {
        Assert.True(SettingValueParser.TryParseNetworks(trusted, out var networks, out var reason), reason);
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        var settings = new ProxySettings { TargetBaseUrl = server.BaseUrl, TrustedProxies = networks };
        await using var proxy = ProxyHost.Start(settings, new IPEndPoint(listen, 0));
        using var client = await RawConnection.OpenToAddressAsync(new IPEndPoint(connectTo ?? listen, proxy.LocalEndPoint.Port));

        await client.SendAsync($"GET /v1/models HTTP/1.1\r\nHost: inner.example:5000\r\n{headers}\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(200, response.Status);
        return await upstream.NextAsync();
    }
}
