using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class UpstreamErrorTests
{
    private static readonly TimeSpan s_shortTimeout = TimeSpan.FromMilliseconds(300);

    private const string ChunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

    [Fact]
    public async Task ConnectionRefused_502NamingTheTarget()
    {
        var port = ProxyFixture.UnusedPort();
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{port}/v1"));

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(502, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains($"127.0.0.1:{port}", message, StringComparison.Ordinal);
        Assert.Contains("refused", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HELLO WORLD\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n")]
    public async Task UpstreamClosesOrAnswersGarbage_502NamingTheTarget(string reply)
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(reply));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(502, response.Status);
        Assert.Contains($"127.0.0.1:{upstream.Port}", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamNeverAnswers_504AfterApiRequestTimeout()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(""));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, apiRequestTimeout: s_shortTimeout);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(504, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains($"127.0.0.1:{upstream.Port}", message, StringComparison.Ordinal);
        Assert.Contains("API_REQUEST_TIMEOUT", message, StringComparison.Ordinal);
        Assert.Equal(1, upstream.Requests);
    }

    [Theory]
    [InlineData(401, "application/json", """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}""")]
    [InlineData(403, "application/json; charset=utf-8", """{"error":"forbidden"}""")]
    [InlineData(404, "text/plain", "model 'x' not found")]
    [InlineData(429, "application/json", """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}""")]
    [InlineData(500, "text/html", "<html><body>Internal Server Error</body></html>")]
    [InlineData(503, "application/json", """{"error":{"message":"Loading model","type":"unavailable_error","code":503}}""")]
    public async Task UpstreamErrorStatus_ComesBackUnchanged(int status, string contentType, string body)
    {
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => RecordingHandler.WriteAsync(context, status, contentType, body, ("Retry-After", "7")),
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(status, response.Status);
        Assert.Equal(contentType, response.Header("Content-Type"));
        Assert.Equal("7", response.Header("Retry-After"));
        Assert.Equal(body, ResponseBytes.Utf8(response));
    }

    [Fact]
    public async Task UpstreamAnswersBeforeReadingUpload_ErrorStatusReachesClient()
    {
        const string Error = """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}""";
        await using var upstream = new RawUpstream(
            RawUpstream.WriteAndDrain($"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {Error.Length}\r\nConnection: close\r\n\r\n{Error}"),
            readBody: false);
        await using var proxy = new ProxyFixture(upstream.BaseUrl);
        var upload = new byte[512 * 1024];

        // OpenAI answers a bad key at once, before an audio upload has arrived; the client must see that 401, not a 502.
        var response = await proxy.SendAsync("POST", "/v1/audio/transcriptions", "Content-Type: application/octet-stream\r\n", upload);

        Assert.Equal(401, response.Status);
        Assert.Equal(Error, response.Body);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5, 6\r\n\r\nhello!")]
    public async Task UpstreamAmbiguousFraming_502NeverPassedOn(string upstreamResponse)
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(upstreamResponse));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);

        var response = await proxy.GetAsync("/v1/models");

        // RFC 9112 §6.3: such framing is a smuggling vector; a proxy must not forward it as if it were fine.
        Assert.Equal(502, response.Status);
        Assert.Contains($"127.0.0.1:{upstream.Port}", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamDiesMidChunkedBody_ClientGetsNoFinalChunkAndConnectionCloses()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(ChunkedHead + "E\r\ndata: first\n\n\r\n8\r\ndata: se"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /v1/stream HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var text = await client.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("data: first\n\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n0\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpstreamDiesMidContentLengthBody_ClientGetsFewerBytesAndConnectionCloses()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\":"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var text = await client.ReadToEndAsync();

        Assert.Contains("Content-Length: 100\r\n", text, StringComparison.Ordinal);
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.True(body.Length < 100, "the client must see a short body, not a complete one");
    }

    [Fact]
    public async Task UpstreamSilentMidBody_ClientConnectionClosedWithoutFinalChunk()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(ChunkedHead + "E\r\ndata: first\n\n\r\n"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, apiRequestTimeout: s_shortTimeout);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("GET /v1/stream HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var text = await client.ReadToEndAsync(timeoutMs: 15_000);

        Assert.Contains("data: first\n\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n0\r\n\r\n", text, StringComparison.Ordinal);
    }
}
