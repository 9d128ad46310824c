using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class HeaderForwardingTests
{
    [Fact]
    public async Task Request_HopByHopHeaders_NotForwarded()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync(
            "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n"
            + "Connection: keep-alive, X-Hop-Named\r\nX-Hop-Named: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
            + "Upgrade: websocket\r\nProxy-Authorization: Basic cHJveHk6cGFzcw==\r\nProxy-Connection: keep-alive\r\n"
            + "X-End-To-End: kept\r\n\r\n");
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);

        // RFC 9110 §7.6.1: Connection, the fields it names, and the other hop-by-hop fields end at this hop.
        foreach (var name in new[] { "Connection", "X-Hop-Named", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Proxy-Connection" })
        {
            Assert.False(received.HasHeader(name), $"{name} was forwarded: {received.Header(name)}");
        }

        Assert.Equal("kept", received.Header("X-End-To-End"));
    }

    [Fact]
    public async Task Request_Host_BecomesUpstreamsAndOriginalGoesToXForwardedHost()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: client-facing.example:8443\r\n\r\n");
        var received = await upstream.NextAsync();

        Assert.Equal($"127.0.0.1:{server.EndPoint.Port}", received.Header("Host"));
        Assert.Single(received.Headers, h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("client-facing.example:8443", received.Header("X-Forwarded-Host"));
        Assert.Equal("http", received.Header("X-Forwarded-Proto"));
    }

    [Fact]
    public async Task Request_NoForwardedFor_ClientAddressSent()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.GetAsync("/v1/models");
        var received = await upstream.NextAsync();

        Assert.Equal("127.0.0.1", received.Header("X-Forwarded-For"));
    }

    [Fact]
    public async Task Request_IncomingForwardedForChain_ClientAddressAppended()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nX-Forwarded-For: 203.0.113.7, 198.51.100.2\r\n\r\n");
        var received = await upstream.NextAsync();

        // De-facto X-Forwarded-For (as nginx's $proxy_add_x_forwarded_for): the chain kept, this hop's client appended.
        Assert.Equal("203.0.113.7, 198.51.100.2, 127.0.0.1", received.Header("X-Forwarded-For"));
        Assert.Single(received.Headers, h => h.Key.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Request_ClientSentForwardedProtoAndHost_UpstreamSeesOneValueEach()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: inner.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: outer.example\r\n\r\n");
        var received = await upstream.NextAsync();

        Assert.Equal("http", received.Header("X-Forwarded-Proto"));
        Assert.Equal("inner.example", received.Header("X-Forwarded-Host"));
    }

    [Fact]
    public async Task Request_AuthorizationAndCustomHeaders_PassedUnchanged()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.SendAsync(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer sk-test-123\r\n"
            + "OpenAI-Organization: org-1\r\nUser-Agent: OpenAI/Python 1.0\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        var received = await upstream.NextAsync();

        Assert.Equal("POST", received.Method);
        Assert.Equal("Bearer sk-test-123", received.Header("Authorization"));
        Assert.Equal("org-1", received.Header("OpenAI-Organization"));
        Assert.Equal("OpenAI/Python 1.0", received.Header("User-Agent"));
        Assert.Equal("application/json", received.Header("Content-Type"));
        Assert.Equal("2", received.Header("Content-Length"));
    }

    [Fact]
    public async Task Request_NonAsciiHeaderValue_ForwardedAsTheSameBytes()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        // Open WebUI forwards user names (X-OpenWebUI-User-Name) as UTF-8; RFC 9110 §5.5 allows such obs-text bytes in values.
        var response = await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nX-User-Name: Jos\u00c3\u00a9\r\n\r\n");

        Assert.Equal(200, response.Status);
        var received = await upstream.NextAsync();
        Assert.Equal("Jos\u00c3\u00a9", received.Header("X-User-Name"));
    }

    [Fact]
    public async Task Response_NonAsciiHeaderValue_PassedBackAsTheSameBytes()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nX-Model-Title: Jos\u00c3\u00a9\r\n\r\nok"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(200, response.Status);
        Assert.Equal("Jos\u00c3\u00a9", response.Header("X-Model-Title"));
    }

    [Fact]
    public async Task Response_HopByHopHeaders_Stripped()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
            + "Connection: keep-alive, X-Hop-Named\r\nX-Hop-Named: secret\r\nKeep-Alive: timeout=5, max=100\r\n"
            + "Proxy-Authenticate: Basic realm=\"up\"\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-End-To-End: kept\r\n\r\nok"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(200, response.Status);
        Assert.Equal("ok", response.Body);
        // RFC 9110 §7.6.1 applies to responses as well: none of these describe the client's connection.
        foreach (var name in new[] { "X-Hop-Named", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection", "Upgrade" })
        {
            Assert.Null(response.Header(name));
        }

        Assert.All(response.HeaderValues("Connection"), value => Assert.DoesNotContain("X-Hop-Named", value, StringComparison.OrdinalIgnoreCase));
        Assert.Equal("kept", response.Header("X-End-To-End"));
    }

    [Fact]
    public async Task Response_HeaderNamedByConnectionInOtherCase_Stripped()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: x-hop-named\r\nX-Hop-Named: secret\r\n\r\nok"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);

        var response = await proxy.GetAsync("/v1/models");

        // RFC 9110 §5.1: field names are case-insensitive, in Connection's list as anywhere else.
        Assert.Null(response.Header("X-Hop-Named"));
    }

    [Fact]
    public async Task Request_HeaderNamedByConnectionInOtherCase_NotForwarded()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nConnection: X-HOP-NAMED\r\nx-hop-named: secret\r\n\r\n");
        var received = await upstream.NextAsync();

        Assert.False(received.HasHeader("X-Hop-Named"));
    }

    [Fact]
    public async Task Request_HeaderNamedBySecondConnectionLine_NotForwarded()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        // RFC 9110 §5.3: two Connection lines are one list; the field named by the second is as hop-by-hop as the first's.
        await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nConnection: keep-alive\r\nX-Kept: yes\r\nConnection: X-Hop-Named\r\nX-Hop-Named: secret\r\n\r\n");
        var received = await upstream.NextAsync();

        Assert.False(received.HasHeader("X-Hop-Named"));
        Assert.True(received.HasHeader("X-Kept"));
    }

    [Fact]
    public async Task Response_CustomHeadersAndContentType_PassedBack()
    {
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => RecordingHandler.WriteAsync(context, 201, "text/csv; charset=utf-8", "a,b\n1,2\n",
                ("X-Request-Id", "req-42"), ("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/"), ("OpenAI-Processing-Ms", "17")),
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.GetAsync("/v1/files/x");

        Assert.Equal(201, response.Status);
        Assert.Equal("text/csv; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal("req-42", response.Header("X-Upstream-Request-Id"));
        Assert.Equal("17", response.Header("OpenAI-Processing-Ms"));
        Assert.Equal(["a=1; Path=/", "b=2; Path=/"], response.HeaderValues("Set-Cookie"));
        Assert.Equal("a,b\n1,2\n", response.Body);
    }
}
