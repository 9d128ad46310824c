using System.Text.Json.Nodes;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// History hygiene through the real proxy (README, "History: thinking in earlier turns"): the assistant messages of
/// recorded real-server answers sent back as earlier turns, as a chat client does, reach the upstream without their
/// thinking.
/// </summary>
public sealed class HistoryHygieneEndToEndTests
{
    /// <summary>A conversation whose earlier assistant turn is the recorded answer's message, as the client got it.</summary>
    private static string ConversationWith(string fixture)
    {
        var answer = JsonNode.Parse(Fixtures.ReadBytes(fixture))!["choices"]![0]!["message"]!.DeepClone();
        var request = new JsonObject
        {
            ["model"] = "m",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "first question" },
                answer,
                new JsonObject { ["role"] = "user", ["content"] = "second question" }),
        };
        return request.ToJsonString();
    }

    [Fact]
    public async Task RecordedThinkTagsInContent_SentBack_ThoughtRemovedAnswerKept()
    {
        const string fixture = "perplexity__sonar-reasoning-pro_nonstream_think_tags_in_content.json.txt";
        var content = JsonNode.Parse(Fixtures.ReadBytes(fixture))!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        int end = content.IndexOf("</think>", StringComparison.Ordinal);
        string thought = content[..end];
        string answer = content[(end + "</think>".Length)..].TrimStart();
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, enableFiltering: true);

        await pair.PostAsync(ConversationWith(fixture));

        var sent = JsonNode.Parse((await upstream.NextAsync()).Body)!["messages"]!;
        Assert.Equal(answer, sent[1]!["content"]!.GetValue<string>());
        Assert.DoesNotContain(thought[8..60], sent.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("second question", sent[2]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task RecordedReasoningContent_SentBack_FieldRemoved()
    {
        const string fixture = "llama.cpp__gpt-oss-20b_b6224_nonstream_reasoning_content_timings.json.txt";
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, enableFiltering: true);

        await pair.PostAsync(ConversationWith(fixture));

        var sent = JsonNode.Parse((await upstream.NextAsync()).Body)!["messages"]![1]!.AsObject();
        Assert.False(sent.ContainsKey("reasoning_content"));
        Assert.StartsWith("Hello! I’m your QGIS Copilot", sent["content"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StripHistoryThinkingFalse_ConversationSentByteForByte()
    {
        string body = ConversationWith("llama.cpp__gpt-oss-20b_b6224_nonstream_reasoning_content_timings.json.txt");
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,strip_history_thinking=false", enableFiltering: true);

        await pair.PostAsync(body);

        Assert.Equal(body, (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task FilteringOff_ConversationSentByteForByte()
    {
        string body = ConversationWith("llama.cpp__gpt-oss-20b_b6224_nonstream_reasoning_content_timings.json.txt");
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, enableFiltering: false);

        await pair.PostAsync(body);

        Assert.Equal(body, (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task KeepToolCallReasoning_RecordedToolCallTurn_KeepsReasoning()
    {
        const string turn = """{"role":"assistant","content":null,"reasoning_content":"I need the weather","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}""";
        string body = $$"""{"model":"kimi","messages":[{"role":"user","content":"weather?"},{{turn}},{"role":"tool","tool_call_id":"c1","content":"sunny"}]}""";
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=kimi,keep_tool_call_reasoning=true", enableFiltering: true);

        await pair.PostAsync(body);

        Assert.Equal(body, (await upstream.NextAsync()).BodyText);
    }
}
