using System.Text;
using System.Text.Json;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class JsonBodyTests
{
    [Theory]
    [InlineData("application/json", "{\"model\":\"m\",")]
    [InlineData("application/json; charset=utf-8", "{\"model\":'m'}")]
    [InlineData("application/json", "{} {}")]
    [InlineData("application/vnd.api+json", "[1,2")]
    public async Task InvalidJson_400OpenAiError_UpstreamNeverCalled(string contentType, string body)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("POST", "/v1/chat/completions", $"Content-Type: {contentType}\r\n", Encoding.UTF8.GetBytes(body));

        Assert.Equal(400, response.Status);
        Assert.Contains("Invalid JSON", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
        Assert.Equal("invalid_request_error", ResponseBytes.Json(response).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(0, upstream.Count);
    }

    [Fact]
    public async Task ValidJsonNoProfile_ForwardedByteForByte()
    {
        const string Body = "{ \"model\" : \"gpt-x\",\n\t\"temperature\": 1.50, \"n\":1E2, \"max_tokens\": 100.0,\n"
            + " \"messages\": [ {\"role\":\"user\", \"content\":\"caf\u00e9 \\u00e9 \\/ \u2603\"} ] }\n";
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", Body);
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal(Encoding.UTF8.GetBytes(Body), received.Body);
    }

    [Fact]
    public async Task CurlFormLabel_JsonChatBody_ItsProfileAppliesAndSentAsJson()
    {
        // curl -d sends Content-Type: application/x-www-form-urlencoded.
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, llmParams: "model=m,temperature=0.25");

        var response = await proxy.SendAsync("POST", "/v1/chat/completions", "Content-Type: application/x-www-form-urlencoded\r\n",
            Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"hi"}]}"""));
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", received.Header("Content-Type"));
        Assert.Equal(0.25, JsonDocument.Parse(received.Body).RootElement.GetProperty("temperature").GetDouble());
    }

    [Theory]
    [InlineData("/v1/chat/completions", "a=1&b=2")]
    [InlineData("/v1/chat/completions", "{not json")]
    [InlineData("/v1/other", "{\"model\":\"m\"}")]
    public async Task CurlFormLabel_NotAJsonChatBody_ForwardedAsItCame(string path, string body)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, llmParams: "model=m,temperature=0.25");

        var response = await proxy.SendAsync("POST", path, "Content-Type: application/x-www-form-urlencoded\r\n", Encoding.UTF8.GetBytes(body));
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("application/x-www-form-urlencoded", received.Header("Content-Type"));
        Assert.Equal(body, received.BodyText);
    }

    [Fact]
    public async Task NonJsonContentType_InvalidJsonText_ForwardedUnchecked()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("POST", "/v1/anything", "Content-Type: text/plain\r\n", Encoding.UTF8.GetBytes("{not json"));
        var received = await upstream.NextAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("{not json", received.BodyText);
    }

    [Fact]
    public async Task ValidJsonWithUtf8Bom_ForwardedByteForByte()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"model":"m"}""")];

        var response = await proxy.SendAsync("POST", "/v1/chat/completions", "Content-Type: application/json\r\n", body);

        // RFC 8259 §8.1 lets parsers ignore a BOM, and the upstream may; the proxy checks the JSON and forwards the bytes as sent.
        Assert.Equal(200, response.Status);
        Assert.Equal(body, (await upstream.NextAsync()).Body);
    }
}
