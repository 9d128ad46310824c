using System.Net;
using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>PROXY_API_KEYS (clients need a key; theirs never goes upstream) and TARGET_API_KEY (the upstream's own key).</summary>
public sealed class ApiKeyTests
{
    [Theory]
    [InlineData("")]
    [InlineData("Authorization: Bearer wrong\r\n")]
    [InlineData("Authorization: Bearer team-key-1x\r\n")]
    [InlineData("Authorization: Basic dGVhbS1rZXktMQ==\r\n")]
    [InlineData("x-api-key: team-key\r\n")]
    public async Task MissingOrWrongKey_401InvalidApiKey_NothingForwarded(string credential)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl, ProxyApiKeys = ["team-key-1", "team-key-2"] });

        var response = await SendAsync(proxy, ChatWith(credential));

        Assert.Equal(401, response.Status);
        Assert.Equal("invalid_api_key", ResponseBytes.Json(response).GetProperty("error").GetProperty("code").GetString());
        Assert.StartsWith("Bearer", response.Header("WWW-Authenticate"), StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Theory]
    [InlineData("Authorization: Bearer team-key-2\r\n")]
    [InlineData("authorization: bearer team-key-1\r\n")]
    [InlineData("x-api-key: team-key-1\r\n")]
    public async Task RightKey_Forwarded_WithoutTheClientsKey(string credential)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl, ProxyApiKeys = ["team-key-1", "team-key-2"] });

        var response = await SendAsync(proxy, ChatWith(credential));

        Assert.Equal(200, response.Status);
        var received = await upstream.NextAsync();
        Assert.DoesNotContain(received.Headers, h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("x-api-key", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task KeyFromTheFile_Accepted()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl, ProxyApiKeysFile = "keys.txt", ProxyApiKeysFromFile = ["file-key"] });

        Assert.Equal(200, (await SendAsync(proxy, ChatWith("Authorization: Bearer file-key\r\n"))).Status);
        Assert.Equal(401, (await SendAsync(proxy, ChatWith(""))).Status);
    }

    [Fact]
    public async Task OtherPaths_NeedTheKey()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl, ProxyApiKeys = ["team-key-1"] });

        Assert.Equal(401, (await SendAsync(proxy, "GET /metricsz HTTP/1.1\r\nHost: proxy.test\r\n\r\n")).Status);
        Assert.Equal(401, (await SendAsync(proxy, "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n")).Status);
        Assert.Equal(401, (await SendAsync(proxy, "GET /healthz HTTP/1.1\r\nHost: proxy.test\r\n\r\n")).Status);
        Assert.Equal(0, upstream.Count);
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/metrics")]
    public async Task HealthAndMetricsEndpoints_NeedNoKey(string path)
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl, ProxyApiKeys = ["team-key-1"] });

        var response = await SendAsync(proxy, $"GET {path} HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal(200, response.Status);
    }

    [Theory]
    [InlineData("Authorization", "Bearer sk-upstream")]
    [InlineData("x-api-key", "sk-upstream")]
    public async Task TargetApiKey_SentInItsHeader_InPlaceOfTheClients(string header, string expected)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl, TargetApiKey = "sk-upstream", TargetApiKeyHeader = header });

        var response = await SendAsync(proxy, ChatWith($"{header}: client-value\r\n"));

        Assert.Equal(200, response.Status);
        var received = await upstream.NextAsync();
        Assert.Equal([expected], received.Headers.Where(h => h.Key.Equals(header, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
    }

    [Fact]
    public async Task NoKeysConfigured_ClientsAuthorizationForwardedAsBefore()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(new ProxySettings { TargetBaseUrl = server.BaseUrl });

        await SendAsync(proxy, ChatWith("Authorization: Bearer sk-client\r\n"));

        var received = await upstream.NextAsync();
        Assert.Equal("Bearer sk-client", received.Headers.Single(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value);
    }

    private static string ChatWith(string credential) =>
        "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 2\r\n" + credential + "\r\n{}";

    private static ProxyHost Start(ProxySettings settings) => ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));

    private static async Task<RawResponse> SendAsync(ProxyHost proxy, string request)
    {
        using var connection = await RawConnection.OpenAsync(proxy.LocalEndPoint);
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync();
    }
}
