using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>RFC 9110 §9.1: methods are case-sensitive. A case variant of GET or HEAD is an extension method, sent as is.</summary>
public sealed class MethodTests
{
    private const string LlmParams = "model=Qwen3-Clean,upstream_model_name=qwen3:14b,temperature=0.7";

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("PUT")]
    [InlineData("QUERY")]
    [InlineData("PROPFIND")]
    [InlineData("propfind")]
    [InlineData("Foo")]
    public async Task Method_StandardInUpperCaseOrExtension_ForwardedExactlyAsSent(string method)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync($"{method} /v1/files HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var response = await client.ReadResponseAsync(headRequest: method == "HEAD");

        Assert.Equal(method, (await upstream.NextAsync()).Method);
        Assert.Equal(200, response.Status);
        Assert.Equal(method == "HEAD" ? "" : """{"ok":true}""", response.Body);
        await AssertConnectionStillServesAsync(client, upstream);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("Get")]
    [InlineData("post")]
    [InlineData("head")]
    [InlineData("put")]
    [InlineData("delete")]
    [InlineData("options")]
    [InlineData("patch")]
    [InlineData("trace")]
    [InlineData("query")]
    public async Task Method_CaseVariantOfAStandardOne_501NotForwardedAndConnectionKept(string method)
    {
        // The runtime's HTTP client would send it upper-cased, as another method (and `head` with HEAD's empty body):
        // refused, whole, with a body the client can read, rather than changed.
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync($"{method} /v1/files HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var response = await client.ReadResponseAsync();

        Assert.Equal(501, response.Status);
        Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("method_not_implemented", ResponseBytes.Json(response).GetProperty("error").GetProperty("code").GetString());
        Assert.Null(response.Header("Connection"));
        Assert.Equal(0, upstream.Count);
        await AssertConnectionStillServesAsync(client, upstream);
    }

    [Fact]
    public async Task Method_CaseVariantWithABody_501AndTheConnectionClosed()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("post /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        var response = await client.ReadResponseAsync();

        Assert.Equal(501, response.Status);
        Assert.Equal(0, upstream.Count);
        // The unread body would be taken for the next request, so the connection ends with this response.
        Assert.Equal("close", response.Header("Connection"));
        Assert.True(await client.IsClosedByServerAsync(5_000));
    }

    [Theory]
    [InlineData("head")]
    [InlineData("get")]
    [InlineData("Get")]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Health_MethodItDoesNotServe_405WithAllowAndConnectionKept(string method)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync($"{method} /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var response = await client.ReadResponseAsync();

        AssertMethodNotAllowed(response);
        Assert.Equal(0, upstream.Count);

        await client.SendAsync("GET /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var health = await client.ReadResponseAsync();
        Assert.Equal(200, health.Status);
        Assert.Contains("\"healthy\"", health.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_Head_HeadersOfGetWithoutBody()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("HEAD /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var head = await client.ReadResponseAsync(headRequest: true);
        await client.SendAsync("GET /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var get = await client.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.Equal(get.Header("Content-Length"), head.Header("Content-Length"));
        Assert.Equal(200, get.Status);
    }

    [Theory]
    [InlineData("get", "/v1/models")]
    [InlineData("head", "/v1/models")]
    [InlineData("POST", "/v1/models")]
    [InlineData("DELETE", "/v1/models/Qwen3-Clean")]
    [InlineData("get", "/models/Qwen3-Clean")]
    public async Task Models_PseudoModelsConfiguredAndMethodNotServed_405WithAllow(string method, string path)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync($"{method} {path} HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var response = await client.ReadResponseAsync();

        AssertMethodNotAllowed(response);
        Assert.Equal(0, upstream.Count);
        await AssertConnectionStillServesAsync(client, upstream);
    }

    [Fact]
    public async Task Models_HeadWithPseudoModels_HeadersOfTheMergedListWithoutBody()
    {
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"object":"list","data":[]}""") };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("HEAD /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var head = await client.ReadResponseAsync(headRequest: true);
        await client.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var get = await client.ReadResponseAsync();

        Assert.Equal(200, head.Status);
        Assert.Contains("Qwen3-Clean", get.Body, StringComparison.Ordinal);
        Assert.Equal(get.Header("Content-Length"), head.Header("Content-Length"));
        Assert.Equal("GET", (await upstream.NextAsync()).Method);
    }

    [Fact]
    public async Task Models_ModelThatIsNotAPseudoModel_ForwardedWithItsMethod()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        var response = await proxy.SendAsync("DELETE /v1/models/ft:my-model HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal(200, response.Status);
        var received = await upstream.NextAsync();
        Assert.Equal("DELETE", received.Method);
        Assert.Equal("/v1/models/ft:my-model", received.Target);
    }

    private static void AssertMethodNotAllowed(RawResponse response)
    {
        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
        Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("method_not_allowed", ResponseBytes.Json(response).GetProperty("error").GetProperty("code").GetString());
        Assert.Null(response.Header("Connection"));
    }

    /// <summary>The connection that carried the request is still in step: a plain GET on it is forwarded and answered.</summary>
    private static async Task AssertConnectionStillServesAsync(RawConnection client, RecordingHandler upstream)
    {
        await client.SendAsync("GET /v1/after HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var next = await client.ReadResponseAsync();
        Assert.Equal(200, next.Status);
        Assert.Equal("/v1/after", (await upstream.NextAsync()).Target);
    }
}
