using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>X-Reasoning-Mode: a client's choice of thinking mode, honoured only where the profile says allow_mode_header=true.</summary>
public sealed class ReasoningModeHeaderTests
{
    private const string Request = """{"model":"q","messages":[{"role":"user","content":"hi"}]}""";
    private const string Answer = """{"id":"x","object":"chat.completion","model":"q","choices":[{"index":0,"message":{"role":"assistant","content":"<think>why</think>Hi"},"finish_reason":"stop"}]}""";

    [Theory]
    [InlineData("split", "\"content\":\"Hi\",\"reasoning_content\":\"why\"")]
    [InlineData("keep", "\"content\":\"<think>why</think>Hi\"")]
    [InlineData("merge", "\"content\":\"<think>why</think>Hi\"}")]
    [InlineData("STRIP", "\"content\":\"Hi\"}")]
    public async Task Header_ProfileAllowsIt_ModeChosenAndHeaderNotForwarded(string value, string expected)
    {
        var upstream = Answering();
        await using var pair = ProxyPair.Start(upstream, "model=q,think_mode=strip,allow_mode_header=true");

        var response = await pair.PostAsync(Request, extraHeaders: $"X-Reasoning-Mode: {value}\r\n");

        Assert.Equal(200, response.Status);
        Assert.Contains(expected, response.Body, StringComparison.Ordinal);
        Assert.False((await upstream.NextAsync()).HasHeader("X-Reasoning-Mode"));
    }

    [Fact]
    public async Task Header_ProfileDoesNotAllowIt_IgnoredAndNotForwarded()
    {
        // Off by default, so no client can undo an operator's strip.
        var upstream = Answering();
        await using var pair = ProxyPair.Start(upstream, "model=q,think_mode=strip");

        var response = await pair.PostAsync(Request, extraHeaders: "X-Reasoning-Mode: keep\r\n");

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("why", response.Body, StringComparison.Ordinal);
        Assert.False((await upstream.NextAsync()).HasHeader("X-Reasoning-Mode"));
    }

    [Theory]
    [InlineData("model=q,think_mode=strip,allow_mode_header=true")]
    [InlineData("model=q,think_mode=strip")]
    public async Task Header_UnknownValue_400NamingTheHeader(string llmParams)
    {
        var upstream = Answering();
        await using var pair = ProxyPair.Start(upstream, llmParams);

        var response = await pair.PostAsync(Request, extraHeaders: "X-Reasoning-Mode: loud\r\n");

        Assert.Equal(400, response.Status);
        Assert.Contains("X-Reasoning-Mode", response.Body, StringComparison.Ordinal);
        Assert.Contains("invalid_reasoning_mode", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("loud", response.Body, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    private static RecordingHandler Answering() => new() { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", Answer) };
}
