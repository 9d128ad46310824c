using System.Text;
using System.Text.Json.Nodes;
using CotProxy.Tests.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>Strip mode through the real proxy over loopback sockets: the logprobs of hidden tokens never reach the client.</summary>
public sealed class LogprobsEndToEndTests
{
    [Fact]
    public async Task Proxy_StrippedStreamWithLogprobs_HiddenTokensEntriesGone()
    {
        string body =
            LogprobsFilterTests.Chunk("<think>", ["<think>"]) + LogprobsFilterTests.Chunk("secret", ["sec", "ret"])
            + LogprobsFilterTests.Chunk("</think>\n\nHi", ["</think>", "\n\n", "Hi"]) + LogprobsFilterTests.Chunk("!", ["!"]) + "data: [DONE]\n\n";
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.ForFixture(Encoding.UTF8.GetBytes(body))), "model=any,think_mode=strip");
        var response = await pair.PostAsync("""{"model":"any","stream":true,"logprobs":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, response.Status);
        Assert.Equal(LogprobsFilterTests.Chunk("Hi", ["Hi"]) + LogprobsFilterTests.Chunk("!", ["!"]) + "data: [DONE]\n\n", response.Body);
    }

    [Fact]
    public async Task Proxy_StrippedBodyWithLogprobs_OnlyAnswerEntriesWithExactContentLength()
    {
        string body = "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<think>secret</think>Hi\"},"
            + LogprobsFilterTests.Logprobs(["<think>", "secret", "</think>", "Hi"]) + ",\"finish_reason\":\"stop\"}]}";
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/json", Pieces.ForFixture(Encoding.UTF8.GetBytes(body)), contentLength: true), "model=any");
        var response = await pair.PostAsync("""{"model":"any","logprobs":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, response.Status);
        Assert.Equal(Encoding.UTF8.GetByteCount(response.Body).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.DoesNotContain("secret", response.Body, StringComparison.Ordinal);
        JsonNode choice = JsonNode.Parse(response.Body)!["choices"]![0]!;
        Assert.Equal("Hi", choice["message"]!["content"]!.GetValue<string>());
        Assert.Equal("Hi", Assert.Single(choice["logprobs"]!["content"]!.AsArray())!["token"]!.GetValue<string>());
    }
}
