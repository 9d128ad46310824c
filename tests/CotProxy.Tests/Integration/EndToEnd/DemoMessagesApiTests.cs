using System.Text;
using System.Text.Json;
using CotProxy.Demo;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>
/// The demo's <c>/v1/messages</c>, asked directly over loopback: the events of Anthropic's "Streaming Messages"
/// documentation in order, content block indices that count up from 0, and whole message bodies.
/// </summary>
public sealed class DemoMessagesApiTests
{
    private const string Thought = "The user wrote: \"Hi\". I should answer briefly and helpfully.";
    private const string Answer = "Hello! This is the cot-proxy demo model. You said: Hi";

    [Fact]
    public async Task Separated_Streamed_ThinkingBlockThenTextBlock()
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/messages", Request("demo-separated", stream: true)));

        Assert.Equal(
        [
            "message_start", "ping",
            "content_block_start 0 thinking", "content_block_delta 0 thinking_delta", "content_block_delta 0 signature_delta", "content_block_stop 0",
            "content_block_start 1 text", "content_block_delta 1 text_delta", "content_block_stop 1",
            "message_delta", "message_stop",
        ], Collapsed(events));
        Assert.All(events, e => Assert.Equal(e.Type, e.Name));

        var start = events[0].Json.GetProperty("message");
        Assert.StartsWith("msg_", start.Text("id"), StringComparison.Ordinal);
        Assert.Equal("message", start.Text("type"));
        Assert.Equal("assistant", start.Text("role"));
        Assert.Equal("demo-separated", start.Text("model"));
        Assert.Equal(0, start.GetProperty("content").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, start.GetProperty("stop_reason").ValueKind);

        var thinkingStart = events.First(e => e.Type == "content_block_start").Json.GetProperty("content_block");
        Assert.Equal("", thinkingStart.Text("thinking"));
        Assert.Equal("", thinkingStart.Text("signature"));
        Assert.Equal(Thought, Joined(events, 0, "thinking_delta", "thinking"));
        Assert.NotEmpty(Joined(events, 0, "signature_delta", "signature"));
        Assert.Equal(Answer, Joined(events, 1, "text_delta", "text"));

        var delta = events[^2].Json;
        Assert.Equal("end_turn", delta.GetProperty("delta").Text("stop_reason"));
        Assert.True(delta.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task Separated_Whole_ThinkingAndTextBlocks()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/messages", Request("demo-separated", stream: false)));

        Assert.StartsWith("msg_", body.Text("id"), StringComparison.Ordinal);
        Assert.Equal("message", body.Text("type"));
        Assert.Equal("assistant", body.Text("role"));
        Assert.Equal("end_turn", body.Text("stop_reason"));
        var content = body.GetProperty("content");
        Assert.Equal(2, content.GetArrayLength());
        Assert.Equal("thinking", content[0].Text("type"));
        Assert.Equal(Thought, content[0].Text("thinking"));
        Assert.NotEmpty(content[0].Text("signature")!);
        Assert.Equal("text", content[1].Text("type"));
        Assert.Equal(Answer, content[1].Text("text"));
        Assert.Equal(12, body.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Fact]
    public async Task TagModel_Streamed_OneTextBlockWithTheTagsInline()
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/messages", Request("demo-seed", stream: true)));

        Assert.Equal(
        [
            "message_start", "ping", "content_block_start 0 text", "content_block_delta 0 text_delta", "content_block_stop 0", "message_delta", "message_stop",
        ], Collapsed(events));
        Assert.Equal("<seed:think>\n" + Thought + "\n</seed:think>\n\n" + Answer, Joined(events, 0, "text_delta", "text"));
    }

    [Fact]
    public async Task ToolUse_Streamed_InputJsonDeltasFormTheWholeBodysInput()
    {
        await using var demo = new TestServer(new DemoHandler());
        const string Tools = """[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]""";

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/messages",
            $$"""{"model":"demo-separated","stream":true,"max_tokens":1024,"demo_token_delay_ms":0,"tools":{{Tools}},"messages":[{"role":"user","content":"Paris"}]}"""));
        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/messages",
            $$"""{"model":"demo-separated","max_tokens":1024,"demo_token_delay_ms":0,"tools":{{Tools}},"messages":[{"role":"user","content":"Paris"}]}"""));

        Assert.Equal(
        [
            "message_start", "ping",
            "content_block_start 0 thinking", "content_block_delta 0 thinking_delta", "content_block_delta 0 signature_delta", "content_block_stop 0",
            "content_block_start 1 tool_use", "content_block_delta 1 input_json_delta", "content_block_stop 1",
            "message_delta", "message_stop",
        ], Collapsed(events));
        var block = events.Last(e => e.Type == "content_block_start").Json.GetProperty("content_block");
        Assert.Equal("get_weather", block.Text("name"));
        Assert.StartsWith("toolu_", block.Text("id"), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, block.GetProperty("input").ValueKind);
        using var input = JsonDocument.Parse(Joined(events, 1, "input_json_delta", "partial_json"));
        Assert.Equal("Paris", input.RootElement.Text("city"));
        Assert.Equal("tool_use", events[^2].Json.GetProperty("delta").Text("stop_reason"));

        Assert.Equal("tool_use", body.Text("stop_reason"));
        var toolUse = body.GetProperty("content")[1];
        Assert.Equal("tool_use", toolUse.Text("type"));
        Assert.Equal(input.RootElement.GetRawText(), toolUse.GetProperty("input").GetRawText());
    }

    [Fact]
    public async Task ToolResult_InAUserTurn_AnswersWithIt()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/messages",
            """{"model":"demo-separated","max_tokens":1024,"demo_token_delay_ms":0,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"Paris"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"}]}]}"""));

        Assert.Equal("end_turn", body.Text("stop_reason"));
        Assert.Equal("The tool returned: sunny", body.GetProperty("content")[1].Text("text"));
    }

    [Fact]
    public async Task MaxTokens_Whole_StopReasonMaxTokens()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/messages",
            """{"model":"demo-separated","max_tokens":3,"demo_token_delay_ms":0,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}"""));

        Assert.Equal("max_tokens", body.Text("stop_reason"));
        Assert.Equal("The user wrote:", Assert.Single(body.GetProperty("content").EnumerateArray()).Text("thinking"));
    }

    private static string Request(string model, bool stream) =>
        $$"""{"model":"{{model}}","max_tokens":1024,"stream":{{(stream ? "true" : "false")}},"demo_token_delay_ms":0,"messages":[{"role":"user","content":"Hi"}]}""";

    /// <summary>Event types with the block index and block or delta type; runs of the same delta collapsed to one.</summary>
    private static List<string> Collapsed(List<SseEvent> events)
    {
        var shapes = new List<string>();
        foreach (var e in events)
        {
            var shape = e.Type switch
            {
                "content_block_start" => $"{e.Type} {e.Json.GetProperty("index").GetInt32()} {e.Json.GetProperty("content_block").Text("type")}",
                "content_block_delta" => $"{e.Type} {e.Json.GetProperty("index").GetInt32()} {e.Json.GetProperty("delta").Text("type")}",
                "content_block_stop" => $"{e.Type} {e.Json.GetProperty("index").GetInt32()}",
                _ => e.Type!,
            };
            if (shapes.Count == 0 || shapes[^1] != shape || e.Type != "content_block_delta")
            {
                shapes.Add(shape);
            }
        }

        return shapes;
    }

    private static string Joined(List<SseEvent> events, int index, string deltaType, string field)
    {
        var text = new StringBuilder();
        foreach (var e in events.Where(e => e.Type == "content_block_delta" && e.Json.GetProperty("index").GetInt32() == index))
        {
            var delta = e.Json.GetProperty("delta");
            if (delta.Text("type") == deltaType)
            {
                text.Append(delta.Text(field));
            }
        }

        return text.ToString();
    }
}
