using System.Text.Json;
using CotProxy.Api;
using CotProxy.Filtering;
using CotProxy.Tests.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// Anthropic's /v1/messages through the real proxy over loopback sockets: the profile's filter applies to its streams
/// and bodies, its parameters to its requests; OpenAI's Assistants paths that end in "messages" are left alone. Cases:
/// Anthropic's docs ("Streaming messages", "Extended thinking"), see <see cref="MessagesRewriterTests"/>.
/// </summary>
public sealed class MessagesEndToEndTests
{
    /// <summary>The shape of the Messages docs' request with thinking on: system at the top, max_tokens, content arrays.</summary>
    private const string Request =
        """{"model":"claude-3-7-sonnet-20250219","max_tokens":20000,"system":"Be brief.","thinking":{"type":"enabled","budget_tokens":16000},"stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"What is 27 * 453?"}]}]}""";

    [Fact]
    public async Task Stream_StripProfile_ClientSeesNoThinkingBlockAndIndexZero()
    {
        var upstream = Answering("text/event-stream", MessagesRewriterTests.DocsThinkingStream);
        await using var pair = ProxyPair.Start(upstream, "model=*,think_mode=strip");

        var response = await pair.PostAsync(Request, path: "/v1/messages");

        Assert.Equal(200, response.Status);
        Assert.Equal(MessagesRewriterTests.Run(MessagesRewriterTests.DocsThinkingStream, new ResponseRewriteOptions(), -1), response.Body);
        Assert.DoesNotContain("thinking", response.Body, StringComparison.Ordinal);
        Assert.Contains("\"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"27 * 453 = 12,231\"}", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_SplitProfileTagsInText_ThoughtInAThinkingBlockAnswerInTheNext()
    {
        // A server that leaves the model's tags in its Messages text (the docs' event shapes, the text of a Qwen3-style answer).
        string stream =
            MessagesRewriterTests.Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            MessagesRewriterTests.Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"<think>\\nplan\\n</think>\\n\\nHello\"}}") +
            MessagesRewriterTests.Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        var upstream = Answering("text/event-stream", stream);
        await using var pair = ProxyPair.Start(upstream, "model=*,think_mode=split");

        var response = await pair.PostAsync(Request, path: "/v1/messages");

        Assert.Equal(200, response.Status);
        Assert.Equal(
            MessagesRewriterTests.Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}") +
            MessagesRewriterTests.Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"plan\"}}") +
            MessagesRewriterTests.Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            MessagesRewriterTests.Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            MessagesRewriterTests.Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}") +
            MessagesRewriterTests.Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}"),
            response.Body);
    }

    [Fact]
    public async Task Body_MergeProfile_ThinkingInlineInTheText()
    {
        var upstream = Answering("application/json", MessagesRewriterTests.DocsThinkingBody);
        await using var pair = ProxyPair.Start(upstream, "model=*,think_mode=merge");

        var response = await pair.PostAsync(Request.Replace("\"stream\":true", "\"stream\":false", StringComparison.Ordinal), path: "/v1/messages");

        Assert.Equal(200, response.Status);
        using var body = JsonDocument.Parse(response.Body);
        JsonElement content = body.RootElement.GetProperty("content");
        Assert.Equal(1, content.GetArrayLength());
        Assert.Equal("<think>Let me analyze this step by step...</think>Based on my analysis...", content[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Request_ProfileParameters_AppliedAndAnthropicFieldsKept()
    {
        var upstream = Answering("application/json", MessagesRewriterTests.DocsThinkingBody);
        await using var pair = ProxyPair.Start(upstream, "model=*,think_mode=strip,temperature=1");

        var response = await pair.PostAsync(Request, path: "/v1/messages");

        Assert.Equal(200, response.Status);
        using var sent = JsonDocument.Parse((await upstream.NextAsync()).Body);
        using var original = JsonDocument.Parse(Request);
        JsonElement root = sent.RootElement;
        Assert.Equal(1, root.GetProperty("temperature").GetDouble());
        foreach (JsonProperty property in original.RootElement.EnumerateObject())
        {
            // system at the top, max_tokens, the thinking object and the content arrays go on as they were.
            Assert.Equal(property.Value.GetRawText(), root.GetProperty(property.Name).GetRawText());
        }
    }

    [Theory]
    [InlineData("/v1/threads/thread_abc123/messages")]
    [InlineData("/v1/threads/v1/messages")]
    [InlineData("/v1/messages/count_tokens")]
    public async Task OtherMessagesPaths_NotGenerations_PassUntouched(string path)
    {
        var upstream = Answering("application/json", MessagesRewriterTests.DocsThinkingBody);
        await using var pair = ProxyPair.Start(upstream, "model=*,think_mode=strip,temperature=1");

        var response = await pair.PostAsync("""{"model":"m","role":"user","content":"hi"}""", path: path);

        Assert.Equal(200, response.Status);
        Assert.Equal(MessagesRewriterTests.DocsThinkingBody, response.Body);
        Assert.DoesNotContain("temperature", (await upstream.NextAsync()).BodyText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/messages", true, "Messages")]
    [InlineData("/anthropic/v1/messages", true, "Messages")]
    [InlineData("/v1/threads/thread_abc123/messages", false, "")]
    [InlineData("/v1/threads/v1/messages", false, "")]
    [InlineData("/v1/messages/batches", false, "")]
    [InlineData("/v1/chat/completions", true, "Choices")]
    [InlineData("/v1/responses", true, "Responses")]
    public void GenerationEndpoints_Paths_MessagesMatchedPrecisely(string path, bool generation, string api)
    {
        Assert.Equal(generation, GenerationEndpoints.Is(path));
        if (generation)
        {
            Assert.Equal(api, GenerationEndpoints.ApiOf(path).ToString());
        }
    }

    private static RecordingHandler Answering(string contentType, string body) =>
        new() { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, contentType, body) };
}
