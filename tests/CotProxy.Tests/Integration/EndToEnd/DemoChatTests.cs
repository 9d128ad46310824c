using System.Text;
using System.Text.Json;
using CotProxy.Demo;
using CotProxy.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>
/// The demo models' own chat completions, asked directly over loopback: each tag family's spelling, the separated
/// reasoning fields, and tool calls in OpenAI's streamed and whole shapes.
/// </summary>
public sealed class DemoChatTests
{
    private const string Thought = "The user wrote: \"Hi\". I should answer briefly and helpfully.";
    private const string Answer = "Hello! This is the cot-proxy demo model. You said: Hi";

    private const string WeatherTool =
        """[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"days":{"type":"integer"},"city":{"type":"string"}},"required":["city"]}}}]""";

    public static TheoryData<string> TagModels() => [.. DemoModel.Models.Where(m => !m.Separated).Select(m => m.Id)];

    public static TheoryData<string> AllModels() => [.. DemoModel.Models.Select(m => m.Id)];

    [Fact]
    public async Task Models_Listed_EveryDemoModel()
    {
        await using var demo = new TestServer(new DemoHandler());
        using var connection = await demo.ConnectAsync();
        await connection.SendAsync("GET /v1/models HTTP/1.1\r\nHost: demo.test\r\n\r\n");

        var ids = DemoCalls.Body(await connection.ReadResponseAsync()).GetProperty("data").EnumerateArray().Select(m => m.Text("id")!).ToArray();

        Assert.Equal(["demo-reasoner", "demo-thinking", "demo-thought", "demo-reasoning", "demo-seed", "demo-mistral", "demo-harmony", "demo-separated"], ids);
    }

    [Fact]
    public void TagModels_EveryBuiltInFamily_WrittenInItsOwnSpelling()
    {
        // One demo model per family of Filtering/ThinkTagFamily.cs, with the family's first start and end tags.
        foreach (var family in ThinkTagFamily.BuiltIn)
        {
            var id = family.Name == "think" ? DemoModel.ModelId : "demo-" + family.Name;
            var flavor = DemoModel.Models.Single(m => m.Id == id);
            Assert.Equal(family.StartTags[0], flavor.Open);
            Assert.Equal(family.EndTags[0], flavor.Close[0]);
        }

        // Harmony's thought ends with "<|end|>", then the final channel's header opens the answer.
        var harmony = DemoModel.Models.Single(m => m.Id == "demo-harmony");
        Assert.Equal(["<|end|>", "<|start|>assistant<|channel|>final<|message|>"], harmony.Close);
        Assert.Contains(harmony.Close[1], ThinkTagFamily.BuiltIn.Single(f => f.Name == "harmony").EndTags);
    }

    [Theory]
    [InlineData("demo-reasoner", "<think>\n" + Thought + "\n</think>\n\n" + Answer)]
    [InlineData("demo-thinking", "<thinking>\n" + Thought + "\n</thinking>\n\n" + Answer)]
    [InlineData("demo-thought", "<thought>\n" + Thought + "\n</thought>\n\n" + Answer)]
    [InlineData("demo-reasoning", "<reasoning>\n" + Thought + "\n</reasoning>\n\n" + Answer)]
    [InlineData("demo-seed", "<seed:think>\n" + Thought + "\n</seed:think>\n\n" + Answer)]
    [InlineData("demo-mistral", "[THINK]\n" + Thought + "\n[/THINK]\n\n" + Answer)]
    [InlineData("demo-harmony", "<|channel|>analysis<|message|>" + Thought + "<|end|><|start|>assistant<|channel|>final<|message|>" + Answer)]
    public async Task TagModel_StreamedAndWhole_ThoughtInItsFamilyThenAnswer(string model, string expected)
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions", Request(model, stream: false)));
        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/chat/completions", Request(model, stream: true)));

        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(expected, message.Text("content"));
        Assert.False(message.TryGetProperty("reasoning_content", out _));
        Assert.Equal("stop", whole.GetProperty("choices")[0].Text("finish_reason"));
        Assert.Equal(model, whole.Text("model"));
        var (content, reasoning) = StreamedText(events);
        Assert.Equal(expected, content);
        Assert.Equal("", reasoning);
    }

    [Theory]
    [InlineData(null, "reasoning_content", "reasoning")]
    [InlineData("reasoning_content", "reasoning_content", "reasoning")]
    [InlineData("reasoning", "reasoning", "reasoning_content")]
    public async Task Separated_Whole_ThoughtInTheChosenField(string? field, string expectedField, string absentField)
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions", Request(DemoModel.SeparatedModelId, stream: false, field)));

        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(Answer, message.Text("content"));
        Assert.Equal(Thought, message.Text(expectedField));
        Assert.False(message.TryGetProperty(absentField, out _));
    }

    [Theory]
    [InlineData(null, "reasoning_content")]
    [InlineData("reasoning", "reasoning")]
    public async Task Separated_Streamed_ThoughtDeltasBeforeContentDeltas(string? field, string expectedField)
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/chat/completions", Request(DemoModel.SeparatedModelId, stream: true, field)));

        // As vLLM streams with a reasoning parser: each delta carries either the thought or the answer, the thought first.
        var kinds = new StringBuilder();
        var thought = new StringBuilder();
        foreach (var e in events[1..^2])
        {
            var delta = e.Json.GetProperty("choices")[0].GetProperty("delta");
            var names = delta.EnumerateObject().Select(p => p.Name).ToArray();
            var name = Assert.Single(names);
            kinds.Append(name == "content" ? 'c' : 'r');
            if (name != "content")
            {
                Assert.Equal(expectedField, name);
                thought.Append(delta.Text(name));
            }
        }

        Assert.Matches("^r+c+$", kinds.ToString());
        Assert.Equal(Thought, thought.ToString());
        Assert.Equal((Answer, Thought), StreamedText(events, expectedField));
    }

    [Fact]
    public async Task Separated_UnknownReasoningField_400NamesTheField()
    {
        await using var demo = new TestServer(new DemoHandler());

        var response = await DemoCalls.PostAsync(demo, "/v1/chat/completions", Request(DemoModel.SeparatedModelId, stream: false, "thinking"));

        Assert.Equal(400, response.Status);
        Assert.Contains("demo_reasoning_field", ResponseBytes.ErrorMessage(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Separated_NoThink_NoReasoningField()
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions",
            """{"model":"demo-separated","demo_token_delay_ms":0,"messages":[{"role":"user","content":"Hi /no_think"}]}"""));

        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(Answer, message.Text("content"));
        Assert.False(message.TryGetProperty("reasoning_content", out _));
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public async Task ToolCall_Streamed_OpenAiDeltasWhoseArgumentsFormJson(string model)
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/chat/completions", ToolRequest(model, stream: true, "Weather in \"Paris\"?")));

        Assert.Equal("[DONE]", events[^1].Data);
        var deltas = events[..^1].Select(e => e.Json.GetProperty("choices")[0]).ToList();
        Assert.Equal("tool_calls", deltas[^1].Text("finish_reason"));
        Assert.All(deltas[..^1], d => Assert.Equal(JsonValueKind.Null, d.GetProperty("finish_reason").ValueKind));
        var calls = deltas.Select(d => d.GetProperty("delta")).Where(d => d.TryGetProperty("tool_calls", out _)).Select(d => Assert.Single(d.GetProperty("tool_calls").EnumerateArray())).ToList();

        // The first delta of a call names it (index, id, type, function name, empty arguments); the rest carry only the
        // index and argument fragments (Fixtures/openai__gpt-4o_stream_parallel_tool_calls.txt).
        Assert.True(calls.Count >= 3, $"{calls.Count} tool-call deltas");
        Assert.Equal(0, calls[0].GetProperty("index").GetInt32());
        Assert.StartsWith("call_", calls[0].Text("id"), StringComparison.Ordinal);
        Assert.Equal("function", calls[0].Text("type"));
        Assert.Equal("get_weather", calls[0].GetProperty("function").Text("name"));
        Assert.Equal("", calls[0].GetProperty("function").Text("arguments"));
        foreach (var call in calls[1..])
        {
            Assert.Equal(["index", "function"], call.EnumerateObject().Select(p => p.Name));
            Assert.Equal(0, call.GetProperty("index").GetInt32());
            Assert.Equal(["arguments"], call.GetProperty("function").EnumerateObject().Select(p => p.Name));
        }

        var arguments = string.Concat(calls.Select(c => c.GetProperty("function").Text("arguments")));
        using var parsed = JsonDocument.Parse(arguments);
        Assert.Equal("Weather in \"Paris\"?", parsed.RootElement.Text("city"));

        // The thought comes first, then the call: no answer text after the thought.
        var lastText = deltas.FindLastIndex(d => d.GetProperty("delta").TryGetProperty(model == DemoModel.SeparatedModelId ? "reasoning_content" : "content", out var c) && c.GetString() != "");
        var firstCall = deltas.FindIndex(d => d.GetProperty("delta").TryGetProperty("tool_calls", out _));
        Assert.True(lastText >= 0 && lastText < firstCall, $"thought at {lastText}, call at {firstCall}");
        var (content, reasoning) = StreamedText(events);
        Assert.Contains("I should call get_weather.", model == DemoModel.SeparatedModelId ? reasoning : content, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello!", content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolCall_Whole_MessageToolCallsAndTagThoughtInContent()
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions", ToolRequest(DemoModel.ModelId, stream: false, "Paris")));

        var choice = whole.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.Text("finish_reason"));
        var message = choice.GetProperty("message");
        Assert.Equal("<think>\nThe user wrote: \"Paris\". I should call get_weather.\n</think>", message.Text("content"));
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.StartsWith("call_", call.Text("id"), StringComparison.Ordinal);
        Assert.Equal("function", call.Text("type"));
        Assert.Equal("get_weather", call.GetProperty("function").Text("name"));
        Assert.Equal("""{"city":"Paris"}""", call.GetProperty("function").Text("arguments"));
    }

    [Fact]
    public async Task ToolCall_WholeSeparated_ContentNullThoughtInReasoningContent()
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions", ToolRequest(DemoModel.SeparatedModelId, stream: false, "Paris")));

        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        Assert.Equal("The user wrote: \"Paris\". I should call get_weather.", message.Text("reasoning_content"));
        Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
    }

    [Fact]
    public async Task ToolChoiceNone_Tools_AnswersWithoutCall()
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions",
            $$"""{"model":"demo-reasoner","demo_token_delay_ms":0,"tool_choice":"none","tools":{{WeatherTool}},"messages":[{"role":"user","content":"Hi"}]}"""));

        var choice = whole.GetProperty("choices")[0];
        Assert.Equal("stop", choice.Text("finish_reason"));
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.EndsWith(Answer, choice.GetProperty("message").Text("content"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolResult_LastTurn_AnswersWithTheResult()
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions",
            $$$"""
            {"model":"demo-reasoner","demo_token_delay_ms":0,"tools":{{{WeatherTool}}},"messages":[
              {"role":"user","content":"Paris"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"sunny, 21 °C"}]}
            """));

        var choice = whole.GetProperty("choices")[0];
        Assert.Equal("stop", choice.Text("finish_reason"));
        Assert.EndsWith("</think>\n\nThe tool returned: sunny, 21 °C", choice.GetProperty("message").Text("content"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolCall_MaxTokensBeforeTheCall_LengthWithoutCall()
    {
        await using var demo = new TestServer(new DemoHandler());

        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions",
            $$"""{"model":"demo-reasoner","demo_token_delay_ms":0,"max_tokens":3,"tools":{{WeatherTool}},"messages":[{"role":"user","content":"Paris"}]}"""));

        var choice = whole.GetProperty("choices")[0];
        Assert.Equal("length", choice.Text("finish_reason"));
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Equal(3, whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public void ArgumentFragments_EmojiAtEveryOffset_NeverSplitsASurrogatePair()
    {
        for (var offset = 0; offset < 12; offset++)
        {
            var arguments = "{\"q\":\"" + new string('a', offset) + "🙂🙂\"}";
            var fragments = new DemoToolCall("call_x", "f", arguments).ArgumentFragments();

            Assert.Equal(arguments, string.Concat(fragments));
            Assert.All(fragments, f => Assert.False(char.IsHighSurrogate(f[^1]), $"fragment '{f}' ends in half a pair"));
        }
    }

    internal static string Request(string model, bool stream, string? reasoningField = null)
    {
        var field = reasoningField is null ? "" : $"\"demo_reasoning_field\":\"{reasoningField}\",";
        return $$"""{"model":"{{model}}",{{field}}"stream":{{(stream ? "true" : "false")}},"demo_token_delay_ms":0,"messages":[{"role":"user","content":"Hi"}]}""";
    }

    private static string ToolRequest(string model, bool stream, string prompt) =>
        $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"demo_token_delay_ms":0,"tools":{{WeatherTool}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(prompt)}}""" + "}]}";

    /// <summary>The content and the thought of a chat stream, joined; also checks the role chunk and the [DONE] end.</summary>
    private static (string Content, string Reasoning) StreamedText(List<SseEvent> events, string reasoningField = "reasoning_content")
    {
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.All(events, e => Assert.Null(e.Name));
        Assert.Equal("assistant", events[0].Json.GetProperty("choices")[0].GetProperty("delta").Text("role"));
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        foreach (var e in events[..^1])
        {
            Assert.Equal("chat.completion.chunk", e.Json.Text("object"));
            var delta = e.Json.GetProperty("choices")[0].GetProperty("delta");
            content.Append(delta.Text("content"));
            reasoning.Append(delta.Text(reasoningField));
        }

        return (content.ToString(), reasoning.ToString());
    }
}
