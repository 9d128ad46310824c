using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class UrlJoinTests
{
    [Theory]
    [InlineData("", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("/", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("/v1", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("/v1/", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("", "/chat/completions", "/chat/completions")]
    [InlineData("/", "/chat/completions", "/chat/completions")]
    [InlineData("/v1", "/chat/completions", "/v1/chat/completions")]
    [InlineData("/v1/", "/chat/completions", "/v1/chat/completions")]
    [InlineData("/v1", "/v1?x=%41", "/v1?x=%41")]
    [InlineData("/v1", "/v10/models", "/v1/v10/models")]
    public async Task TargetBasePath_JoinedWithClientPath_NoDoubledPrefix(string basePath, string clientPath, string upstreamPath)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{server.EndPoint.Port}{basePath}"));

        var response = await proxy.SendAsync($"POST {clientPath} HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx");
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal(upstreamPath, received.Target);
    }
}
