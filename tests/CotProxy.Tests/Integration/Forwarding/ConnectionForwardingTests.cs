using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>How forwarding behaves across a client connection: reuse, 100-continue, HEAD, HTTP/1.0, long healthy streams.</summary>
public sealed class ConnectionForwardingTests
{
    [Fact]
    public async Task KeepAlive_TwoForwardedRequestsOnOneConnection_BothAnswered()
    {
        var upstream = new RecordingHandler { Respond = (context, request) => RecordingHandler.WriteAsync(context, 200, "text/plain", request.Target) };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}");
        var first = await client.ReadResponseAsync();
        await client.SendAsync("GET /v1/second HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var second = await client.ReadResponseAsync();

        Assert.Equal("/v1/chat/completions", first.Body);
        Assert.Equal("/v1/second", second.Body);
        Assert.Null(second.Header("Connection"));
    }

    [Fact]
    public async Task KeepAlive_ContentLengthBodies_OneUpstreamConnectionServesThemAll()
    {
        // The copy stops at the body's last byte without reading on to the end of the stream; the upstream connection
        // must still go back to the pool, not be dropped and replaced.
        var canned = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}");
        using var upstream = new CannedUpstream(canned);
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{upstream.Port}/"));
        using var client = await proxy.ConnectAsync();

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}");
            var response = await client.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Equal("11", response.Header("Content-Length"));
            Assert.Equal("{\"ok\":true}", response.Body);
        }

        Assert.Equal(1, upstream.AcceptedConnections);
    }

    [Fact]
    public async Task Pipelined_ForwardedRequests_AnsweredInOrder()
    {
        var upstream = new RecordingHandler { Respond = (context, request) => RecordingHandler.WriteAsync(context, 200, "text/plain", request.Target + " " + request.BodyText) };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync(
            "GET /1 HTTP/1.1\r\nHost: proxy.test\r\n\r\n"
            + "POST /2 HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
            + "POST /3 HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 3\r\n\r\nabc");

        Assert.Equal("/1 ", (await client.ReadResponseAsync()).Body);
        Assert.Equal("/2 {}", (await client.ReadResponseAsync()).Body);
        Assert.Equal("/3 abc", (await client.ReadResponseAsync()).Body);
    }

    [Fact]
    public async Task InvalidJson_Rejected_ConnectionStillServesNextRequest()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{no\r\n0\r\n\r\n");
        var rejected = await client.ReadResponseAsync();
        await client.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var next = await client.ReadResponseAsync();

        Assert.Equal(400, rejected.Status);
        Assert.Equal(200, next.Status);
        Assert.Equal("/v1/models", (await upstream.NextAsync()).Target);
        Assert.Equal(1, upstream.Count);
    }

    [Fact]
    public async Task ExpectContinue_ProxyAnswers100ThenForwardsBody()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        // RFC 9110 §10.1.1: the client holds its body until 100 Continue; HttpClient never relays a 1xx, so the proxy must send it.
        await client.SendAsync("POST /v1/files HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        var interim = await client.ReadResponseAsync(headRequest: true);
        await client.SendAsync("hello");
        var response = await client.ReadResponseAsync();
        var received = await upstream.NextAsync();

        Assert.Equal(100, interim.Status);
        Assert.Equal(200, response.Status);
        Assert.Equal("hello", received.BodyText);
        Assert.False(received.HasHeader("Expect"));
    }

    [Fact]
    public async Task Head_UpstreamLengthKept_NoBodySent()
    {
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"ok":true}""") };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("HEAD /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var head = await client.ReadResponseAsync(headRequest: true);
        await client.SendAsync("GET /v1/after HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var next = await client.ReadResponseAsync();

        // RFC 9110 §9.3.2: HEAD answers with the GET's headers (Content-Length included) and no body.
        Assert.Equal(200, head.Status);
        Assert.Equal("11", head.Header("Content-Length"));
        Assert.Equal("HEAD", (await upstream.NextAsync()).Method);
        Assert.Equal("""{"ok":true}""", next.Body);
    }

    [Fact]
    public async Task NoContent_UpstreamStatus204_ForwardedWithoutBody()
    {
        var upstream = new RecordingHandler
        {
            Respond = async (context, request) =>
            {
                if (request.Method != "DELETE")
                {
                    await RecordingHandler.WriteAsync(context, 200, "text/plain", "after");
                    return;
                }

                context.Response.Start(204, contentLength: null);
                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("DELETE /v1/files/f1 HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var response = await client.ReadResponseAsync();
        await client.SendAsync("GET /v1/after HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var next = await client.ReadResponseAsync();

        Assert.Equal(204, response.Status);
        Assert.Null(response.Header("Transfer-Encoding"));
        Assert.Equal("DELETE", (await upstream.NextAsync()).Method);
        Assert.Equal("after", next.Body);
    }

    [Fact]
    public async Task Http10Client_StreamedResponse_EndsByClose()
    {
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new("Content-Type", "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                await context.Response.WriteAsync("data: a\n\n"u8, context.Aborted);
                await context.Response.WriteAsync("data: b\n\n"u8, context.Aborted);
                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /v1/stream HTTP/1.0\r\n\r\n");
        var text = await client.ReadToEndAsync();

        // RFC 9112 §6.3: an HTTP/1.0 client cannot read chunked coding; the body ends when the connection closes.
        Assert.DoesNotContain("Transfer-Encoding", text, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\ndata: a\n\ndata: b\n\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LongHealthyStream_LongerThanApiRequestTimeout_NotCut()
    {
        const int Events = 55;
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new("Content-Type", "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                for (var i = 0; i < Events; i++)
                {
                    await context.Response.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"data: {i}\n\n"), context.Aborted);
                    await Task.Delay(100, context.Aborted);
                }

                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var server = new TestServer(upstream);

        // The timeout bounds each silence (100 ms here, 50 times less, so a loaded machine's pauses do not reach it: a
        // CI run of the whole suite once stalled this in-process upstream for 2 s), not the whole stream (over 5.5 s).
        await using var proxy = new ProxyFixture(server.BaseUrl, apiRequestTimeout: TimeSpan.FromSeconds(5));

        var response = await proxy.GetAsync("/v1/stream");

        Assert.Equal(string.Concat(Enumerable.Range(0, Events).Select(i => $"data: {i}\n\n")), response.Body);
    }
}
