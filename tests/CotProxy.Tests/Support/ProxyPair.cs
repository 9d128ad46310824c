using System.Net;
using CotProxy.Configuration;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Support;

/// <summary>An upstream (any handler) on loopback and the real proxy in front of it, both our own HTTP server on port 0.</summary>
internal sealed class ProxyPair : IAsyncDisposable
{
    private ProxyPair(TestServer upstream, ProxyHost proxy)
    {
        Upstream = upstream;
        Proxy = proxy;
    }

    public TestServer Upstream { get; }

    public ProxyHost Proxy { get; }

    /// <summary>The proxy's OpenAI base URL, <c>http://127.0.0.1:port/v1</c>.</summary>
    public Uri OpenAiEndpoint => new($"http://127.0.0.1:{Proxy.LocalEndPoint.Port}/v1");

    /// <summary>
    /// Starts the upstream and the proxy. <paramref name="llmParams"/> is the LLM_PARAMS text; <paramref name="enableFiltering"/>
    /// is ENABLE_THINK_TAG_FILTERING; <paramref name="thinkKeepAlive"/> is THINK_KEEPALIVE_SECONDS (zero = never).
    /// </summary>
    public static ProxyPair Start(IHttpHandler upstreamHandler, string llmParams = "", bool enableFiltering = true, TimeSpan thinkKeepAlive = default)
    {
        var upstream = new TestServer(upstreamHandler);
        var settings = new ProxySettings
        {
            TargetBaseUrl = upstream.BaseUrl,
            ApiRequestTimeout = TimeSpan.FromSeconds(15),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            LlmParams = llmParams,
            EnableThinkTagFiltering = enableFiltering,
        };
        var warnings = new List<string>();
        var (profiles, responses) = ProxyHost.LoadProfiles(settings, warnings);
        Assert.Empty(warnings);
        var proxy = ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0), profiles, responses, thinkKeepAlive: thinkKeepAlive);
        return new ProxyPair(upstream, proxy);
    }

    /// <summary>POSTs a chat completion request to the proxy over a raw socket (Connection: close) and reads the response.</summary>
    public async Task<RawResponse> PostAsync(string json, string path = "/v1/chat/completions", string extraHeaders = "")
    {
        using var client = await RawConnection.OpenAsync(Proxy.LocalEndPoint);
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var head = $"POST {path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        await client.SendAsync([.. System.Text.Encoding.ASCII.GetBytes(head), .. body]);
        return await client.ReadResponseAsync(timeoutMs: 15_000);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
