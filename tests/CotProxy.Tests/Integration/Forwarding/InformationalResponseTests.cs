using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// 1xx answers from the upstream. The proxy never forwards a client's Upgrade (a hop-by-hop field), so a 101 from the
/// upstream switches to a protocol nobody asked for: it is the upstream's error, answered 502, never relayed. Other 1xx
/// answers are interim and are dropped by the handler before the final response.
/// </summary>
public sealed class InformationalResponseTests
{
    [Theory]
    [InlineData("POST")]
    [InlineData("GET")]
    public async Task UnsolicitedSwitchingProtocols_502NamingWhatTheUpstreamDid(string method)
    {
        const string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(reply));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);

        var response = method == "POST"
            ? await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""")
            : await proxy.GetAsync("/v1/models");

        Assert.Equal(502, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains("101", message, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{upstream.Port}", message, StringComparison.Ordinal);
        Assert.Equal("upstream_protocol_error", ResponseBytes.Json(response).GetProperty("error").GetProperty("code").GetString());
        Assert.Null(response.Header("Upgrade"));
    }

    [Fact]
    public async Task UnsolicitedSwitchingProtocols_ModelsListWithPseudoModel_502()
    {
        const string reply = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(reply));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, "model=alias,upstream_model_name=m");

        var response = await proxy.GetAsync("/v1/models");

        Assert.Equal(502, response.Status);
        Assert.Equal("upstream_protocol_error", ResponseBytes.Json(response).GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n")]
    [InlineData("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")]
    [InlineData("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n")]
    public async Task InterimResponsesBeforeFinal_OnlyFinalReachesClient(string interim)
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndDrain(interim + "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"));
        await using var proxy = new ProxyFixture(upstream.BaseUrl);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"model\":\"m\"}");
        var text = await client.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n{\"ok\":true}", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Link:", text, StringComparison.Ordinal);
    }
}
