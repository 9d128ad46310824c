using CotProxy.Tests.Support;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Integration.Server;

public class WireTests
{
    private const string EchoGetResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nGET / ";

    [Fact]
    public async Task Get_SimpleRequest_ExactResponseBytes()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: close\r\n\r\nGET / ", text);
    }

    [Fact]
    public async Task KeepAlive_TwoRequestsOneConnection_BothAnswered()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = await client.ReadResponseAsync();
        await client.SendAsync("POST /b?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        var second = await client.ReadResponseAsync();
        Assert.Equal("GET / ", first.Body);
        Assert.Equal("POST /b?q=1 abc", second.Body);
    }

    [Fact]
    public async Task Pipelining_ThreeRequestsInOneWrite_AnsweredInOrder()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync(
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" +
            "POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
            "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var text = await client.ReadToEndAsync();
        var first = text.IndexOf("GET /1 ", StringComparison.Ordinal);
        var second = text.IndexOf("POST /2 abc", StringComparison.Ordinal);
        var third = text.IndexOf("GET /3 ", StringComparison.Ordinal);
        Assert.True(first >= 0 && second > first && third > second, text);
    }

    [Fact]
    public async Task Http10_NoKeepAlive_ConnectionClosed()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.0\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http10_KeepAliveAsked_ConnectionKept()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var first = await client.ReadResponseAsync();
        Assert.Equal("keep-alive", first.Header("Connection"));
        await client.SendAsync("GET /again HTTP/1.0\r\n\r\n");
        var second = await client.ReadResponseAsync();
        Assert.Equal("GET /again ", second.Body);
    }

    [Fact]
    public async Task ExpectContinue_BodyAfter100_Answered()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        var interim = await client.ReadResponseAsync(headRequest: true);
        Assert.Equal(100, interim.Status);
        await client.SendAsync("hello");
        var final = await client.ReadResponseAsync();
        Assert.Equal("POST /e hello", final.Body);
    }

    [Fact]
    public async Task Head_ContentLengthKept_NoBodySent()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\n" + EchoGetResponse.Replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task ChunkedBody_WithExtensionsAndTrailers_Decoded()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1\r\n!\r\n0\r\nX-Trailer: t\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal("POST / hello!", response.Body);
    }

    [Fact]
    public async Task ChunkedBody_SplitAtEveryByte_SameBody()
    {
        await using var server = new TestServer(new EchoHandler());
        const string request = "POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nT: v\r\n\r\n";
        var bytes = System.Text.Encoding.ASCII.GetBytes(request);
        for (var split = 1; split < bytes.Length; split++)
        {
            using var client = await server.ConnectAsync();
            await client.SendAsync(bytes[..split]);
            await Task.Delay(1);
            await client.SendAsync(bytes[split..]);
            var response = await client.ReadResponseAsync();
            Assert.Equal("POST /s Wikipedia in \r\n\r\nchunks.", response.Body);
        }
    }

    [Fact]
    public async Task AbsoluteFormTarget_ReducedToPathAndQuery()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET http://example.com/v1/models?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal("GET /v1/models?x=1 ", response.Body);
    }

    [Fact]
    public async Task IdleKeepAlive_PastTimeout_ClosedSilently()
    {
        await using var server = new TestServer(new EchoHandler(), new HttpLimits { KeepAliveTimeout = TimeSpan.FromMilliseconds(200) });
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await client.ReadResponseAsync();
        Assert.True(await client.IsClosedByServerAsync(5000));
    }

    [Fact]
    public async Task LeadingEmptyLine_BeforeRequestLine_Ignored()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal("GET /x ", response.Body);
    }

    [Fact]
    public async Task GracefulStop_IdleConnection_ClosedPromptly()
    {
        var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await client.ReadResponseAsync();
        var stop = server.Server.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(await client.IsClosedByServerAsync(3000));
        await stop;
        await server.DisposeAsync();
    }
}
