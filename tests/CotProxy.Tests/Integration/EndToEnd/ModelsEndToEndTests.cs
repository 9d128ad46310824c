using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary><c>/v1/models</c> through the real proxy: the upstream's list merged with the pseudo-models.</summary>
public sealed class ModelsEndToEndTests
{
    // Shape of Ollama's and vLLM's GET /v1/models, with one id listed twice (as a LiteLLM alias setup does).
    private const string UpstreamList =
        """{"object":"list","data":[{"id":"qwen3:14b","object":"model","created":1700000000,"owned_by":"library"},"""
        + """{"id":"llama3","object":"model","created":1,"owned_by":"meta"},{"id":"qwen3:14b","object":"model","created":2,"owned_by":"dup"}]}""";

    private const string LlmParams =
        "model=default,temperature=0.5;model=*,top_k=20;model=Qwen3-Clean,upstream_model_name=qwen3:14b,temperature=0.7;"
        + "model=Qwen3-Thinking,upstream_model_name=qwen3:14b,temperature=0.6;model=llama3,temperature=0.1;model=Unlisted,upstream_model_name=nowhere";

    private static RecordingHandler ListingUpstream(int status = 200, string contentType = "application/json", string body = UpstreamList) => new()
    {
        Respond = (context, _) => RecordingHandler.WriteAsync(context, status, contentType, body),
    };

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    public async Task ModelsList_UpstreamPlusPseudoModels_NoDuplicatesMetadataCopied(string path)
    {
        var upstream = ListingUpstream();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{server.EndPoint.Port}/v1"), LlmParams);

        var response = await proxy.GetAsync(path);
        var received = await upstream.NextAsync();

        Assert.Equal("/v1/models", received.Target);
        Assert.Equal(200, response.Status);
        var data = ResponseBytes.Json(response).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["qwen3:14b", "llama3", "Qwen3-Clean", "Qwen3-Thinking", "Unlisted"], data.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("library", data[0].GetProperty("owned_by").GetString());
        Assert.Equal("library", data[2].GetProperty("owned_by").GetString());
        Assert.Equal(1700000000, data[2].GetProperty("created").GetInt64());
        Assert.Equal("library", data[3].GetProperty("owned_by").GetString());
        Assert.Equal("cot-proxy", data[4].GetProperty("owned_by").GetString());
    }

    [Fact]
    public async Task ModelById_PseudoModel_AnsweredWithCopiedMetadata()
    {
        var upstream = ListingUpstream();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        var response = await proxy.GetAsync("/v1/models/Qwen3-Clean");

        Assert.Equal(200, response.Status);
        var model = ResponseBytes.Json(response);
        Assert.Equal("Qwen3-Clean", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("library", model.GetProperty("owned_by").GetString());
        Assert.Equal("/v1/models", (await upstream.NextAsync()).Target);
    }

    [Fact]
    public async Task ModelById_UpstreamModel_ForwardedAsIs()
    {
        var upstream = ListingUpstream(body: """{"id":"gpt-4o","object":"model","owned_by":"openai"}""");
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        var response = await proxy.GetAsync("/v1/models/gpt-4o");

        Assert.Equal("/v1/models/gpt-4o", (await upstream.NextAsync()).Target);
        Assert.Equal("""{"id":"gpt-4o","object":"model","owned_by":"openai"}""", response.Body);
    }

    [Theory]
    [InlineData(500, "text/plain", "backend down")]
    [InlineData(401, "application/json", """{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}""")]
    public async Task ModelsList_UpstreamFails_FailurePassedThrough(int status, string contentType, string body)
    {
        var upstream = ListingUpstream(status, contentType, body);
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(status, response.Status);
        Assert.Equal(contentType, response.Header("Content-Type"));
        Assert.Equal(body, response.Body);
    }

    [Fact]
    public async Task ModelsList_UpstreamRefused_502NotAListOfPseudoModels()
    {
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{ProxyFixture.UnusedPort()}/v1"), LlmParams);

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(502, response.Status);
        Assert.Contains("refused", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsList_UpstreamSilentMidBody_504NamingTheTarget()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"object\":\"list\","));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, LlmParams, apiRequestTimeout: TimeSpan.FromMilliseconds(300));

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(504, response.Status);
        Assert.Contains($"127.0.0.1:{upstream.Port}", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsList_UpstreamDiesMidBody_502NamingTheTarget()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"object\":\"list\","));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, LlmParams);

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(502, response.Status);
        Assert.Contains($"127.0.0.1:{upstream.Port}", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsList_ClientHeaders_AuthorizationPassedEncodingIdentity()
    {
        var upstream = ListingUpstream();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, LlmParams);

        await proxy.SendAsync("GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nAuthorization: Bearer sk-abc\r\nAccept-Encoding: gzip, br\r\n\r\n");

        var received = await upstream.NextAsync();
        Assert.Equal("Bearer sk-abc", received.Header("Authorization"));

        // The proxy must parse the list it merges, so it asks for an unencoded body whatever the client accepts.
        Assert.Equal("identity", received.Header("Accept-Encoding"));
    }
}
