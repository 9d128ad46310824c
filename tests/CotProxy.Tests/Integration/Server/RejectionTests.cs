using CotProxy.Tests.Support;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Integration.Server;

public class RejectionTests
{
    public static TheoryData<string, int, string> Malformed => new()
    {
        { "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "MalformedRequestLine" },
        { "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "MalformedRequestLine" },
        { "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "MalformedRequestLine" },
        { "GET /a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "MalformedRequestLine" },
        { "GET / HTTP/1.1\nHost: x\r\n\r\n", 400, "MalformedRequestLine" },
        { "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "UnsupportedHttpVersion" },
        { "GET / FOO/1.1\r\nHost: x\r\n\r\n", 400, "MalformedRequestLine" },
        { "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400, "MalformedHeader" },
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "MalformedHeader" },
        { "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n", 400, "MalformedHeader" },
        { "GET / HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n", 400, "MalformedHeader" },
        { "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400, "MalformedHeader" },
        { "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "MalformedHeader" },
        { "GET / HTTP/1.1\r\n\r\n", 400, "MissingOrDuplicateHost" },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "MissingOrDuplicateHost" },
        { "GET / HTTP/1.1\r\nHost: a\r\nHOST: a\r\n\r\n", 400, "MissingOrDuplicateHost" },
        { "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "MissingOrDuplicateHost" },
        { "GET / HTTP/1.1\r\nHost: evil.com/x\r\n\r\n", 400, "InvalidHost" },
        { "GET / HTTP/1.1\r\nHost: user@evil.com\r\n\r\n", 400, "InvalidHost" },
        { "GET / HTTP/1.1\r\nHost: a.com, b.com\r\n\r\n", 400, "InvalidHost" },
        { "GET / HTTP/1.1\r\nHost: a.com:80:80\r\n\r\n", 400, "InvalidHost" },
        { "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "InvalidHost" },
        { "GET / HTTP/1.0\r\nHost: evil.com?x\r\n\r\n", 400, "InvalidHost" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400, "InvalidContentLength" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello", 400, "InvalidContentLength" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", 400, "InvalidContentLength" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 400, "InvalidContentLength" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, "ConflictingContentLength" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!", 400, "ConflictingContentLength" },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "ContentLengthWithTransferEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400, "UnsupportedTransferEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "UnsupportedTransferEncoding" },
        { "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "UnsupportedTransferEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", 400, "MalformedChunkedEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "MalformedChunkedEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400, "MalformedChunkedEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n", 400, "MalformedChunkedEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n", 400, "MalformedChunkedEncoding" },
        { "POST / HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\n\r\n", 417, "UnsupportedExpectation" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Request_Malformed_RejectedAndClosed(string raw, int status, string code)
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync(raw);
        var text = await client.ReadToEndAsync();
        Assert.StartsWith($"HTTP/1.1 {status} ", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"\"code\":\"{code}\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("GET / ", text[text.IndexOf("\r\n\r\n", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLine_Over8KiB_414()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET /" + new string('a', 8200) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 414 ", text, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Request line is longer than 8 KiB.\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestLine_Over8KiBWithoutNewline_414BeforeEnd()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET /" + new string('a', 9000));
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 414 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_Over32KiB_431()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        var headers = string.Concat(Enumerable.Range(0, 40).Select(i => $"X-H{i}: {new string('v', 1000)}\r\n"));
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 431 ", text, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Request header fields are larger than 32 KiB.\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_Over32KiBSentSlowly_431OnAccumulatedBytes()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        for (var i = 0; i < 40; i++)
        {
            await client.SendAsync($"X-H{i}: {new string('v', 1000)}\r\n");
        }

        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 431 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_Over100Fields_431()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        var headers = string.Concat(Enumerable.Range(0, 101).Select(i => $"X-H{i}: v\r\n"));
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 431 ", text, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Request has more than 100 header fields.\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_ContentLengthOverLimit_413WithoutReading()
    {
        await using var server = new TestServer(new EchoHandler(), new HttpLimits { MaxRequestBodyBytes = 1024 });
        using var client = await server.ConnectAsync();
        await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 413 ", text, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Request body is larger than 1 KiB (MAX_REQUEST_BODY_MB).\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_ChunkedOverLimit_413()
    {
        await using var server = new TestServer(new EchoHandler(), new HttpLimits { MaxRequestBodyBytes = 1024 });
        using var client = await server.ConnectAsync();
        await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync("100\r\n" + new string('a', 256) + "\r\n");
        }

        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 413 ", text, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Request body is larger than 1 KiB (MAX_REQUEST_BODY_MB).\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_NotCompleteInTime_408AndClosed()
    {
        await using var server = new TestServer(new EchoHandler(), new HttpLimits { RequestHeadersTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 408 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_TrickledSlowly_408AtDeadline()
    {
        await using var server = new TestServer(new EchoHandler(), new HttpLimits { RequestHeadersTimeout = TimeSpan.FromMilliseconds(500) });
        using var client = await server.ConnectAsync();
        var read = client.ReadToEndAsync();
        for (var i = 0; i < 20 && !read.IsCompleted; i++)
        {
            try
            {
                await client.SendAsync($"X-{i}: v\r\n".Insert(0, i == 0 ? "GET / HTTP/1.1\r\nHost: x\r\n" : ""));
            }
            catch (System.Net.Sockets.SocketException)
            {
                break;
            }

            await Task.Delay(100);
        }

        var text = await read;
        Assert.StartsWith("HTTP/1.1 408 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Body_StopsArriving_408()
    {
        await using var server = new TestServer(new EchoHandler(), new HttpLimits { RequestBodyTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await server.ConnectAsync();
        await client.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 408 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorBody_NeverEchoesClientBytes()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET /<script>alert(1)</script> HTTP/1.1\r\nHost: x\r\nBad Header: <b>\r\n\r\n");
        var text = await client.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400 ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("script", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>", text, StringComparison.Ordinal);
    }
}
