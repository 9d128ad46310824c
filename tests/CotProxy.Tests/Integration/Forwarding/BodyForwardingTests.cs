using System.Text;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class BodyForwardingTests
{
    private static RecordingHandler EchoingUpstream(string contentType) => new()
    {
        Respond = (context, request) => RecordingHandler.WriteAsync(context, 200, contentType, request.Body),
    };

    [Fact]
    public async Task MultipartBody_AllByteValues_IdenticalBothWays()
    {
        const string Boundary = "----cotproxy7MA4YWxkTrZu0gW";
        var audio = new byte[512];
        for (var i = 0; i < audio.Length; i++)
        {
            audio[i] = (byte)(i % 256);
        }

        byte[] body =
        [
            .. Encoding.ASCII.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
                + $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n"),
            .. audio,
            .. Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n"),
        ];
        var upstream = EchoingUpstream("application/octet-stream");
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("POST", "/v1/audio/transcriptions", $"Content-Type: multipart/form-data; boundary={Boundary}\r\n", body);
        var received = await upstream.NextAsync();

        Assert.Equal(body, received.Body);
        Assert.Equal($"multipart/form-data; boundary={Boundary}", received.Header("Content-Type"));
        Assert.Equal(200, response.Status);
        Assert.Equal(body, ResponseBytes.Body(response));
    }

    [Fact]
    public async Task GetWithBody_BodyForwardedAndConnectionKept()
    {
        var upstream = EchoingUpstream("text/plain");
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /v1/search HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nquery");
        var response = await client.ReadResponseAsync();
        var received = await upstream.NextAsync();
        await client.SendAsync("GET /v1/again HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var second = await client.ReadResponseAsync();

        Assert.Equal("GET", received.Method);
        Assert.Equal("query", received.BodyText);
        Assert.Equal("query", response.Body);
        Assert.Equal(200, second.Status);
    }

    [Fact]
    public async Task ChunkedRequestBody_ArrivesDecodedAndWhole()
    {
        var upstream = EchoingUpstream("text/plain");
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/uploads HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
        await client.SendAsync("5\r\nhello\r\n");
        await client.SendAsync("1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: t\r\n\r\n");
        var response = await client.ReadResponseAsync();
        var received = await upstream.NextAsync();

        Assert.Equal("hello world!", received.BodyText);
        Assert.Equal("hello world!", response.Body);
    }

    [Fact]
    public async Task MalformedChunkedUpload_400ForTheClientNot502()
    {
        var upstream = EchoingUpstream("text/plain");
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/uploads HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
        var response = await client.ReadResponseAsync();

        // RFC 9112 §7.1: a chunk size that is not hex is the client's error; blaming the upstream (502) would mislead.
        Assert.Equal(400, response.Status);
    }

    [Fact]
    public async Task LargeBody_FourMegabytes_IdenticalBothWays()
    {
        var body = new byte[4 * 1024 * 1024 + 17];
        new Random(20261125).NextBytes(body);
        var upstream = EchoingUpstream("application/octet-stream");
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("PUT", "/v1/blob", "Content-Type: application/octet-stream\r\n", body);
        var received = await upstream.NextAsync();

        Assert.Equal("PUT", received.Method);
        Assert.True(body.AsSpan().SequenceEqual(received.Body), "the upstream received different bytes");
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.True(body.AsSpan().SequenceEqual(ResponseBytes.Body(response)), "the client received different bytes");
    }

    [Fact]
    public async Task CompressedResponse_PassedThroughUndecoded()
    {
        var gzip = new byte[] { 0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56, 0xca, 0xcf, 0x56, 0xb2, 0x2a, 0x29, 0x2a, 0x4d, 0xad, 0x05, 0x00, 0xb1, 0x1e, 0x4f, 0x5f, 0x0b, 0x00, 0x00, 0x00 };
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", gzip, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")),
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nAccept-Encoding: gzip\r\n\r\n");

        // A transparent proxy neither decompresses nor drops Content-Encoding: the client decodes what the upstream encoded.
        Assert.Equal("gzip", (await upstream.NextAsync()).Header("Accept-Encoding"));
        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.Equal(gzip, ResponseBytes.Body(response));
    }

    [Theory]
    [InlineData("/v1/files?purpose=fine-tune&q=%41%2f%2F&plus=a+b&empty=&&flag")]
    [InlineData("/v1/a/../b?x=1")]
    [InlineData("/v1/%41/./c%20d/%2e%2e/e")]
    [InlineData("/v1/models/org%2Fname:latest?")]
    public async Task RequestTarget_ForwardedExactlyAsReceived(string target)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        await proxy.GetAsync(target);
        var received = await upstream.NextAsync();

        // System.Uri would turn %41 into A and drop /a/../; a proxy must not modify the path and query it forwards
        // (RFC 9110 §7.7), so the target reaches the upstream as sent.
        Assert.Equal(target, received.Target);
    }
}
