using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// An upstream that breaks off (closes) or goes silent (stalls past API_REQUEST_TIMEOUT) in the middle of its body, for
/// every way the proxy copies a body: streamed or read whole, filtered or not, framed by Content-Length or chunked.
/// Before the head is sent the client gets a status (502 for a break, 504 for a stall, as every other upstream failure);
/// after it, only a visibly cut body (no final chunk, or fewer bytes than Content-Length) and a closed connection.
/// </summary>
public sealed class MidBodyFailureTests
{
    private const string Filtered = "model=m,enable_think_tag_filtering=true";
    private const string Event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n";
    private const string PartialJson = """{"choices":[{"index":0,"message":{"content":"<think>""";

    private static readonly TimeSpan s_shortTimeout = TimeSpan.FromMilliseconds(300);

    public static TheoryData<bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (var filtered in new[] { false, true })
        {
            foreach (var stall in new[] { false, true })
            {
                foreach (var chunked in new[] { false, true })
                {
                    data.Add(filtered, stall, chunked);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EventStream_UpstreamFailsMidBody_ClientSeesCutBodyAndClose(bool filtered, bool stall, bool chunked)
    {
        var head = chunked
            ? "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" + $"{Event.Length:X}\r\n{Event}\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 5000\r\n\r\n" + Event;
        await using var upstream = new RawUpstream(stall ? RawUpstream.WriteAndHang(head) : RawUpstream.WriteAndClose(head));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, filtered ? Filtered : null, apiRequestTimeout: s_shortTimeout);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"model\":\"m\"}");
        var text = await client.ReadToEndAsync(timeoutMs: 15_000);

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\"first\"", text, StringComparison.Ordinal);
        if (text.Contains("Content-Length: 5000\r\n", StringComparison.Ordinal))
        {
            Assert.True(text.Length - text.IndexOf("\r\n\r\n", StringComparison.Ordinal) - 4 < 5000, "the client must see a short body");
        }
        else
        {
            Assert.DoesNotContain("\r\n0\r\n\r\n", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WholeJsonBody_UpstreamFailsMidBody_StatusWhenFilteredElseCutBody(bool filtered, bool stall, bool chunked)
    {
        var head = chunked
            ? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + $"{PartialJson.Length + 10:X}\r\n{PartialJson}"
            : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n" + PartialJson;
        await using var upstream = new RawUpstream(stall ? RawUpstream.WriteAndHang(head) : RawUpstream.WriteAndClose(head));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, filtered ? Filtered : null, apiRequestTimeout: s_shortTimeout);
        using var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\nConnection: close\r\n\r\n{\"model\":\"m\"}");
        var text = await client.ReadToEndAsync(timeoutMs: 15_000);

        if (filtered)
        {
            // Read whole before anything is sent: the failure can still be a status.
            Assert.StartsWith(stall ? "HTTP/1.1 504 " : "HTTP/1.1 502 ", text, StringComparison.Ordinal);
            Assert.Contains(stall ? "API_REQUEST_TIMEOUT" : $"127.0.0.1:{upstream.Port}", text, StringComparison.Ordinal);
            Assert.DoesNotContain("think", text, StringComparison.Ordinal);
            return;
        }

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("<think>", text, StringComparison.Ordinal);
        if (chunked)
        {
            Assert.DoesNotContain("\r\n0\r\n\r\n", text, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(text.Length - text.IndexOf("\r\n\r\n", StringComparison.Ordinal) - 4 < 500, "the client must see a short body");
        }
    }

    [Theory]
    [InlineData("""{"\uD83D\u0041":1,"choices":[{"index":0,"message":{"content":"<think>t</think>a"}}]}""")]
    [InlineData("""{"choices":[{"index":0,"message":{"\uDE00":"x","content":"<think>t</think>a"}}]}""")]
    [InlineData("""{"choices":[{"index":0,"message":{"content":"<think>t\uD800</think>a"}}]}""")]
    public async Task FilteredJson_UpstreamBodyWithLoneSurrogateEscape_AnsweredNotA500(string body)
    {
        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndDrain(head + body));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, Filtered);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.True(response.Status is 200 or 502, $"status {response.Status}");
        Assert.DoesNotContain("<think>", ResponseBytes.Utf8(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilteredJson_CorruptGzipBody_502NotA500()
    {
        const string body = "this is not gzip at all, though the header says it is";
        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {body.Length}\r\n\r\n";
        await using var upstream = new RawUpstream(RawUpstream.WriteAndDrain(head + body));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, Filtered);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""");

        Assert.Equal(502, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains($"127.0.0.1:{upstream.Port}", message, StringComparison.Ordinal);
        Assert.Contains("gzip", message, StringComparison.Ordinal);
    }
}
