using System.Text;
using System.Text.Json;
using CotProxy.Demo;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>
/// The demo's <c>/v1/responses</c>, asked directly over loopback: the event order, names, sequence numbers and indices
/// of OpenAI's Responses API streams (Fixtures/openai__o3-mini_responses_api_stream_reasoning_summary_and_output_text.txt,
/// Fixtures/openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt) and its whole bodies.
/// </summary>
public sealed class DemoResponsesApiTests
{
    private const string Thought = "The user wrote: \"Hi\". I should answer briefly and helpfully.";
    private const string Answer = "Hello! This is the cot-proxy demo model. You said: Hi";

    [Fact]
    public async Task Separated_Streamed_ReasoningItemThenMessageItemInOrder()
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/responses", Request("demo-separated", stream: true)));

        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.completed",
        ], Collapsed(events));
        AssertNamedAndNumbered(events);

        var reasoningAdded = events.First(e => e.Type == "response.output_item.added");
        var reasoningItem = reasoningAdded.Json.GetProperty("item");
        Assert.Equal(0, reasoningAdded.Json.GetProperty("output_index").GetInt32());
        Assert.Equal("reasoning", reasoningItem.Text("type"));
        Assert.StartsWith("rs_", reasoningItem.Text("id"), StringComparison.Ordinal);
        Assert.Equal(0, reasoningItem.GetProperty("summary").GetArrayLength());
        var reasoningId = reasoningItem.Text("id");
        Assert.Equal(Thought, Joined(events, "response.reasoning_text.delta", reasoningId!, 0));
        Assert.Equal(Thought, events.Single(e => e.Type == "response.reasoning_text.done").Json.Text("text"));

        var messageAdded = events.Last(e => e.Type == "response.output_item.added");
        var messageId = messageAdded.Json.GetProperty("item").Text("id");
        Assert.Equal(1, messageAdded.Json.GetProperty("output_index").GetInt32());
        Assert.Equal("message", messageAdded.Json.GetProperty("item").Text("type"));
        Assert.StartsWith("msg_", messageId, StringComparison.Ordinal);
        Assert.Equal(Answer, Joined(events, "response.output_text.delta", messageId!, 1));
        Assert.Equal(Answer, events.Single(e => e.Type == "response.output_text.done").Json.Text("text"));

        // The last event holds the whole response, as a non-streamed request gets it.
        var completed = events[^1].Json.GetProperty("response");
        AssertResponse(completed, "demo-separated", Thought, Answer);
        Assert.Equal(events[0].Json.GetProperty("response").Text("id"), completed.Text("id"));
        Assert.Equal("in_progress", events[0].Json.GetProperty("response").Text("status"));
        Assert.Equal(0, events[0].Json.GetProperty("response").GetProperty("output").GetArrayLength());
    }

    [Fact]
    public async Task TagModel_Streamed_ThoughtInlineInOutputText()
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/responses", Request("demo-thinking", stream: true)));

        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.completed",
        ], Collapsed(events));
        AssertNamedAndNumbered(events);
        var messageId = events.First(e => e.Type == "response.output_item.added").Json.GetProperty("item").Text("id")!;
        var text = "<thinking>\n" + Thought + "\n</thinking>\n\n" + Answer;
        Assert.Equal(text, Joined(events, "response.output_text.delta", messageId, 0));
        AssertResponse(events[^1].Json.GetProperty("response"), "demo-thinking", null, text);
    }

    [Theory]
    [InlineData("\"Hi\"")]
    [InlineData("""[{"role":"user","content":"Hi"}]""")]
    [InlineData("""[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}]""")]
    [InlineData("""[{"role":"user","content":"earlier"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"input_text","text":"Hi"}]}]""")]
    public async Task Whole_InputStringOrMessages_EchoesTheLastUserText(string input)
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/responses",
            $$"""{"model":"demo-separated","demo_token_delay_ms":0,"input":{{input}}}"""));

        AssertResponse(body, "demo-separated", Thought, Answer);
    }

    [Fact]
    public async Task ToolCall_Streamed_FunctionCallItemWhoseArgumentsFormJson()
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/responses",
            """{"model":"demo-separated","stream":true,"demo_token_delay_ms":0,"input":"Paris","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}"""));

        AssertNamedAndNumbered(events);
        Assert.Equal(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.reasoning_text.delta", "response.reasoning_text.done",
            "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ], Collapsed(events));
        var added = events.Last(e => e.Type == "response.output_item.added");
        Assert.Equal(1, added.Json.GetProperty("output_index").GetInt32());
        var item = added.Json.GetProperty("item");
        Assert.Equal("function_call", item.Text("type"));
        Assert.Equal("get_weather", item.Text("name"));
        Assert.StartsWith("call_", item.Text("call_id"), StringComparison.Ordinal);
        var arguments = string.Concat(events.Where(e => e.Type == "response.function_call_arguments.delta").Select(e =>
        {
            Assert.Equal(item.Text("id"), e.Json.Text("item_id"));
            Assert.Equal(1, e.Json.GetProperty("output_index").GetInt32());
            return e.Json.Text("delta");
        }));
        using var parsed = JsonDocument.Parse(arguments);
        Assert.Equal("Paris", parsed.RootElement.Text("city"));
        Assert.Equal(arguments, events.Single(e => e.Type == "response.function_call_arguments.done").Json.Text("arguments"));
        var output = events[^1].Json.GetProperty("response").GetProperty("output");
        Assert.Equal(["reasoning", "function_call"], output.EnumerateArray().Select(o => o.Text("type")));
        Assert.Equal(arguments, output[1].Text("arguments"));
        Assert.Equal("completed", output[1].Text("status"));
    }

    [Fact]
    public async Task ToolResult_FunctionCallOutputLast_AnswersWithIt()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/responses",
            """{"model":"demo-reasoner","demo_token_delay_ms":0,"tools":[{"type":"function","name":"get_weather"}],"input":[{"role":"user","content":"Paris"},{"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{}"},{"type":"function_call_output","call_id":"call_1","output":"sunny"}]}"""));

        var output = Assert.Single(body.GetProperty("output").EnumerateArray());
        Assert.EndsWith("</think>\n\nThe tool returned: sunny", output.GetProperty("content")[0].Text("text"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxOutputTokens_Streamed_EndsWithResponseIncomplete()
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/responses",
            """{"model":"demo-reasoner","stream":true,"demo_token_delay_ms":0,"max_output_tokens":4,"input":"Hi"}"""));

        AssertNamedAndNumbered(events);
        Assert.Equal("response.incomplete", events[^1].Type);
        var response = events[^1].Json.GetProperty("response");
        Assert.Equal("incomplete", response.Text("status"));
        Assert.Equal("max_output_tokens", response.GetProperty("incomplete_details").Text("reason"));
        Assert.Equal(4, response.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal("<think>\nThe user", response.GetProperty("output")[0].GetProperty("content")[0].Text("text"));
    }

    private static string Request(string model, bool stream) =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"demo_token_delay_ms":0,"input":"Hi"}""";

    /// <summary>The event types in order, runs of the same delta type collapsed to one.</summary>
    private static List<string> Collapsed(List<SseEvent> events)
    {
        var types = new List<string>();
        foreach (var e in events)
        {
            if (types.Count == 0 || types[^1] != e.Type || !e.Type!.EndsWith(".delta", StringComparison.Ordinal))
            {
                types.Add(e.Type!);
            }
        }

        return types;
    }

    /// <summary>Every event is named by an event: line equal to its type, and numbered 0, 1, 2… (no [DONE], as OpenAI sends).</summary>
    private static void AssertNamedAndNumbered(List<SseEvent> events)
    {
        for (var i = 0; i < events.Count; i++)
        {
            Assert.Equal(events[i].Type, events[i].Name);
            Assert.Equal(i, events[i].Json.GetProperty("sequence_number").GetInt32());
        }
    }

    /// <summary>The deltas of one part joined, after checking each names the item, output index and content index 0.</summary>
    private static string Joined(List<SseEvent> events, string type, string itemId, int outputIndex)
    {
        var text = new StringBuilder();
        foreach (var e in events.Where(e => e.Type == type))
        {
            Assert.Equal(itemId, e.Json.Text("item_id"));
            Assert.Equal(outputIndex, e.Json.GetProperty("output_index").GetInt32());
            Assert.Equal(0, e.Json.GetProperty("content_index").GetInt32());
            text.Append(e.Json.Text("delta"));
        }

        return text.ToString();
    }

    private static void AssertResponse(JsonElement response, string model, string? reasoning, string text)
    {
        Assert.StartsWith("resp_", response.Text("id"), StringComparison.Ordinal);
        Assert.Equal("response", response.Text("object"));
        Assert.Equal("completed", response.Text("status"));
        Assert.Equal(model, response.Text("model"));
        var output = response.GetProperty("output");
        var index = 0;
        if (reasoning is not null)
        {
            var item = output[index++];
            Assert.Equal("reasoning", item.Text("type"));
            Assert.Equal(0, item.GetProperty("summary").GetArrayLength());
            var part = Assert.Single(item.GetProperty("content").EnumerateArray());
            Assert.Equal("reasoning_text", part.Text("type"));
            Assert.Equal(reasoning, part.Text("text"));
        }

        var message = output[index++];
        Assert.Equal(index, output.GetArrayLength());
        Assert.Equal("message", message.Text("type"));
        Assert.Equal("assistant", message.Text("role"));
        Assert.Equal("completed", message.Text("status"));
        var content = Assert.Single(message.GetProperty("content").EnumerateArray());
        Assert.Equal("output_text", content.Text("type"));
        Assert.Equal(text, content.Text("text"));
        Assert.Equal(0, content.GetProperty("annotations").GetArrayLength());
        var usage = response.GetProperty("usage");
        Assert.Equal(usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("output_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }
}
