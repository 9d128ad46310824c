using CotProxy.Api;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Profiles;

namespace CotProxy.Tests.Support;

/// <summary>An upstream (any handler) on loopback and the real proxy in front of it, both our own HTTP server on port 0.</summary>
internal sealed class ProxyPair : IAsyncDisposable
{
    private readonly HttpMessageInvoker _invoker;

    private ProxyPair(TestServer upstream, TestServer proxy, HttpMessageInvoker invoker)
    {
        Upstream = upstream;
        Proxy = proxy;
        _invoker = invoker;
    }

    public TestServer Upstream { get; }

    public TestServer Proxy { get; }

    /// <summary>The proxy's OpenAI base URL, <c>http://127.0.0.1:port/v1</c>.</summary>
    public Uri OpenAiEndpoint => new(Proxy.BaseUrl, "v1");

    /// <summary>
    /// Starts the upstream and the proxy. <paramref name="llmParams"/> is the LLM_PARAMS text; <paramref name="enableFiltering"/>
    /// is ENABLE_THINK_TAG_FILTERING; <paramref name="thinkKeepAlive"/> is THINK_KEEPALIVE_SECONDS (zero = never).
    /// </summary>
    public static ProxyPair Start(IHttpHandler upstreamHandler, string llmParams = "", bool enableFiltering = true, TimeSpan thinkKeepAlive = default)
    {
        var warnings = new List<string>();
        var profiles = ProfileSet.Parse(llmParams, warnings);
        Assert.Empty(warnings);
        var upstream = new TestServer(upstreamHandler);
        var invoker = UpstreamClient.Create(TimeSpan.FromSeconds(5));
        var options = new ForwarderOptions { TargetBaseUrl = upstream.BaseUrl, ApiRequestTimeout = TimeSpan.FromSeconds(15) };
        var policy = new ResponsePolicy(profiles, enableFiltering, thinkTag: null, thinkEndTag: null);
        var handler = new ProxyHandler(new Forwarder(invoker, options), new HealthCheck(invoker, options), profiles, policy, thinkKeepAlive);
        return new ProxyPair(upstream, new TestServer(handler), invoker);
    }

    /// <summary>POSTs a chat completion request to the proxy over a raw socket (Connection: close) and reads the response.</summary>
    public async Task<RawResponse> PostAsync(string json, string path = "/v1/chat/completions", string extraHeaders = "")
    {
        using var client = await Proxy.ConnectAsync();
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var head = $"POST {path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        await client.SendAsync([.. System.Text.Encoding.ASCII.GetBytes(head), .. body]);
        return await client.ReadResponseAsync(timeoutMs: 15_000);
    }

    public async ValueTask DisposeAsync()
    {
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
        _invoker.Dispose();
    }
}
