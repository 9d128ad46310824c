using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CotProxy.Tests.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// think_mode=merge through the real proxy over loopback sockets: recorded bodies whose reasoning the server separated,
/// replayed in uneven flushed writes, reach the client with that reasoning at the start of "content" in &lt;think&gt; tags.
/// </summary>
public sealed class MergeEndToEndTests
{
    private const string Profile = "model=any,think_mode=merge";
    private static readonly ResponseRewriteOptions s_merge = new() { Mode = ThinkMode.Merge };

    [Theory]
    [InlineData("deepseek__deepseek-reasoner_stream_reasoning_content_usage.txt")]
    [InlineData("llama.cpp__gpt-oss-20b_b6224_stream_reasoning_content_then_tool_call_timings.txt")]
    [InlineData("groq__gpt-oss-120b_stream_reasoning_then_midstream_event_error.txt")]
    public async Task Proxy_MergeModeSeparatedReasoningStream_ClientReadsReasoningInContent(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.ForFixture(input)), Profile);
        var response = await pair.PostAsync("""{"model":"any","stream":true,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, response.Status);
        byte[] output = Encoding.Latin1.GetBytes(response.Body);
        Assert.Equal(Encoding.UTF8.GetString(RewriterHarness.Run("text/event-stream", s_merge, input, 0)), Encoding.UTF8.GetString(output));
        List<string> inJson = RewriterHarness.SseData(Encoding.UTF8.GetString(input)).Where(IsJson).ToList();
        List<string> outJson = RewriterHarness.SseData(Encoding.UTF8.GetString(output)).Where(IsJson).ToList();
        string content = RewriterHarness.VisibleText(outJson)[0];
        Assert.StartsWith("<think>", content, StringComparison.Ordinal);
        Assert.Equal(MergeSeparatedReasoningTests.ReferenceMerge(inJson), RewriterHarness.VisibleText(outJson));
    }

    [Fact]
    public async Task Proxy_MergeModeOllamaNativeChat_ThinkingInContent()
    {
        byte[] input = Fixtures.ReadBytes("ollama-cloud-native__gpt-oss-120b_api_chat_ndjson_stream_thinking_field.txt");
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/x-ndjson", Pieces.ForFixture(input)), Profile);
        var response = await pair.PostAsync("""{"model":"any","messages":[{"role":"user","content":"hi"}]}""", "/api/chat");

        Assert.Equal(200, response.Status);
        string[] outLines = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(response.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] inLines = Encoding.UTF8.GetString(input).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(outLines, line => Assert.DoesNotContain("\"thinking\":\"", line, StringComparison.Ordinal));
        Assert.Equal(MergeSeparatedReasoningTests.ReferenceMerge(inLines), RewriterHarness.VisibleText(outLines));
    }

    [Fact]
    public async Task Proxy_MergeModeJsonBody_ContentLengthOfTheMergedBody()
    {
        byte[] input = Fixtures.ReadBytes("llama.cpp__gpt-oss-20b_b6224_nonstream_reasoning_content_timings.json.txt");
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/json", Pieces.ForFixture(input), contentLength: true), Profile);
        var response = await pair.PostAsync("""{"model":"any","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, response.Status);
        byte[] body = Encoding.Latin1.GetBytes(response.Body);
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        using var document = JsonDocument.Parse(body);
        JsonElement message = document.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.False(message.TryGetProperty("reasoning_content", out _));
        Assert.StartsWith("<think>The user just says hello", message.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains("</think>Hello!", message.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    private static bool IsJson(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
