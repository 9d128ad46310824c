using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// A filtered JSON body is read whole before anything reaches the client, so an upstream that fails while sending it can
/// still be answered with a status: 502 when it breaks off, 504 when it goes silent (as every other upstream failure).
/// </summary>
public sealed class WholeBodyFailureTests
{
    private const string Filtered = "model=m,enable_think_tag_filtering=true";

    [Fact]
    public async Task FilteredJson_UpstreamClosesMidBody_502NamingTheTarget()
    {
        const string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(head + """{"choices":[{"index":0,"message":{"content":"<think>"""));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, Filtered);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(502, response.Status);
        Assert.Contains($"127.0.0.1:{upstream.Port}", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
        Assert.DoesNotContain("think", ResponseBytes.Utf8(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilteredJson_UpstreamStallsMidBody_504NamingTheSetting()
    {
        const string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(head + """{"choices":[{"index":0,"message":{"content":"<think>"""));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, Filtered, apiRequestTimeout: TimeSpan.FromMilliseconds(300));

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(504, response.Status);
        Assert.Contains("API_REQUEST_TIMEOUT", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilteredJson_UnreadableBody_502AndNothingOfIt()
    {
        const string body = """{"choices":[{"index":0,"message":{"content":"<think>secret thought"}}]]]""";
        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndClose(head + body));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, Filtered);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        // Strip mode fails closed: a body the filter cannot read is not passed on, thought and all.
        Assert.Equal(502, response.Status);
        Assert.Contains("upstream_body_unfilterable", ResponseBytes.Utf8(response), StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ResponseBytes.Utf8(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilteredJson_BodyOverMaxFilteredBody_502NamingTheLimit()
    {
        var content = new string('a', 1024 * 1024 + 100);
        var body = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>secret</think>" + content + "\"}}]}";
        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndDrain(head + body));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, Filtered, maxFilteredBodyMegabytes: 1);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(502, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains("1048576 bytes", message, StringComparison.Ordinal);
        Assert.Contains("MAX_FILTERED_BODY_MB", message, StringComparison.Ordinal);
    }
}
