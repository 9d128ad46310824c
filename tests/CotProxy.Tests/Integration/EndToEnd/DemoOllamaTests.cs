using System.Text;
using System.Text.Json;
using CotProxy.Demo;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>
/// The demo's Ollama-native <c>/api/chat</c> and <c>/api/generate</c>, asked directly over loopback: JSON lines with the
/// thought in <c>thinking</c> (Fixtures/ollama-cloud-native__gpt-oss-120b_api_chat_ndjson_stream_thinking_field.txt),
/// streamed unless <c>"stream": false</c>; and the thinking switch in every server's words.
/// </summary>
public sealed class DemoOllamaTests
{
    private const string Thought = "The user wrote: \"Hi\". I should answer briefly and helpfully.";
    private const string Answer = "Hello! This is the cot-proxy demo model. You said: Hi";

    [Fact]
    public async Task ApiChat_StreamedByDefault_ThinkingFieldThenContentThenDoneLine()
    {
        await using var demo = new TestServer(new DemoHandler());

        var response = await DemoCalls.PostAsync(demo, "/api/chat",
            """{"model":"demo-separated","demo_token_delay_ms":0,"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(200, response.Status);
        Assert.Equal("application/x-ndjson", response.Header("Content-Type"));
        var lines = Lines(response);
        var thinking = new StringBuilder();
        var content = new StringBuilder();
        foreach (var line in lines[..^1])
        {
            Assert.False(line.GetProperty("done").GetBoolean());
            Assert.Equal("demo-separated", line.Text("model"));
            Assert.NotNull(line.Text("created_at"));
            var message = line.GetProperty("message");
            Assert.Equal("assistant", message.Text("role"));
            thinking.Append(message.Text("thinking"));
            content.Append(message.Text("content"));
        }

        Assert.Equal(Thought, thinking.ToString());
        Assert.Equal(Answer, content.ToString());
        var done = lines[^1];
        Assert.True(done.GetProperty("done").GetBoolean());
        Assert.Equal("stop", done.Text("done_reason"));
        Assert.Equal("", done.GetProperty("message").Text("content"));
        Assert.Equal(20, done.GetProperty("eval_count").GetInt32());
    }

    [Fact]
    public async Task ApiChat_StreamFalse_OneObjectWithThinking()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/api/chat",
            """{"model":"demo-separated","stream":false,"demo_token_delay_ms":0,"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.True(body.GetProperty("done").GetBoolean());
        Assert.Equal(Thought, body.GetProperty("message").Text("thinking"));
        Assert.Equal(Answer, body.GetProperty("message").Text("content"));
    }

    [Fact]
    public async Task ApiChat_TagModelWithTools_ThoughtInContentThenWholeToolCall()
    {
        await using var demo = new TestServer(new DemoHandler());

        var lines = Lines(await DemoCalls.PostAsync(demo, "/api/chat",
            """{"model":"demo-reasoner","demo_token_delay_ms":0,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"messages":[{"role":"user","content":"Paris"}]}"""));

        var content = string.Concat(lines.Select(l => l.GetProperty("message").Text("content")));
        Assert.Equal("<think>\nThe user wrote: \"Paris\". I should call get_weather.\n</think>", content);
        var call = Assert.Single(lines, l => l.GetProperty("message").TryGetProperty("tool_calls", out _));
        var function = Assert.Single(call.GetProperty("message").GetProperty("tool_calls").EnumerateArray()).GetProperty("function");
        Assert.Equal("get_weather", function.Text("name"));
        Assert.Equal("Paris", function.GetProperty("arguments").Text("city"));
    }

    [Fact]
    public async Task ApiGenerate_Streamed_ResponseAndThinkingFields()
    {
        await using var demo = new TestServer(new DemoHandler());

        var lines = Lines(await DemoCalls.PostAsync(demo, "/api/generate", """{"model":"demo-separated","demo_token_delay_ms":0,"prompt":"Hi"}"""));

        Assert.Equal(Thought, string.Concat(lines.Select(l => l.Text("thinking"))));
        Assert.Equal(Answer, string.Concat(lines.Select(l => l.Text("response"))));
        Assert.True(lines[^1].GetProperty("done").GetBoolean());
    }

    [Fact]
    public async Task ApiGenerate_NumPredict_DoneReasonLength()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/api/generate",
            """{"model":"demo-reasoner","stream":false,"demo_token_delay_ms":0,"prompt":"Hi","options":{"num_predict":2}}"""));

        Assert.Equal("length", body.Text("done_reason"));
        Assert.Equal("<think>\n", body.Text("response"));
    }

    [Theory]
    [InlineData("/v1/chat/completions", "\"chat_template_kwargs\":{\"enable_thinking\":false},\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]")]
    [InlineData("/v1/chat/completions", "\"reasoning_effort\":\"none\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]")]
    [InlineData("/api/chat", "\"think\":false,\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]")]
    [InlineData("/v1/responses", "\"reasoning\":{\"effort\":\"none\"},\"input\":\"Hi\"")]
    [InlineData("/v1/messages", "\"thinking\":{\"type\":\"disabled\"},\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]")]
    public async Task ThinkingOff_InEachServersWords_SeparatedModelWritesNoThought(string path, string fields)
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, path, $$"""{"model":"demo-separated","demo_token_delay_ms":0,{{fields}}}"""));

        var text = body.GetRawText();
        Assert.DoesNotContain("I should answer", text, StringComparison.Ordinal);
        Assert.Contains(Answer, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThinkingOff_TagModel_EmptyThinkBlockAsQwen3Writes()
    {
        await using var demo = new TestServer(new DemoHandler());

        var body = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/chat/completions",
            """{"model":"demo-reasoner","demo_token_delay_ms":0,"chat_template_kwargs":{"enable_thinking":false},"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal("<think>\n</think>\n\n" + Answer, body.GetProperty("choices")[0].GetProperty("message").Text("content"));
    }

    private static List<JsonElement> Lines(RawResponse response)
    {
        Assert.Equal(200, response.Status);
        var text = ResponseBytes.Utf8(response);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }
}
