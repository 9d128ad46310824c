using System.Text;
using CotProxy.Demo;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>The demo's legacy <c>/v1/completions</c>, asked directly over loopback: <c>text_completion</c> chunks and bodies.</summary>
public sealed class DemoCompletionsTests
{
    private const string Answer = "Hello! This is the cot-proxy demo model. You said: Hi";

    [Theory]
    [InlineData("demo-mistral", "[THINK]\nThe user wrote: \"Hi\". I should answer briefly and helpfully.\n[/THINK]\n\n" + Answer)]
    [InlineData("demo-separated", Answer)]
    public async Task Streamed_TextChunksJoinToTheWholeText(string model, string expected)
    {
        await using var demo = new TestServer(new DemoHandler());

        var events = DemoCalls.Events(await DemoCalls.PostAsync(demo, "/v1/completions",
            $$"""{"model":"{{model}}","prompt":"Hi","stream":true,"stream_options":{"include_usage":true},"demo_token_delay_ms":0}"""));
        var whole = DemoCalls.Body(await DemoCalls.PostAsync(demo, "/v1/completions", $$"""{"model":"{{model}}","prompt":"Hi","demo_token_delay_ms":0}"""));

        Assert.Equal("[DONE]", events[^1].Data);
        var usage = events[^2].Json;
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        var text = new StringBuilder();
        var chunks = events[..^2];
        foreach (var e in chunks)
        {
            Assert.Equal("text_completion", e.Json.Text("object"));
            text.Append(e.Json.GetProperty("choices")[0].Text("text"));
        }

        Assert.Equal(expected, text.ToString());
        Assert.Equal("stop", chunks[^1].Json.GetProperty("choices")[0].Text("finish_reason"));
        Assert.All(chunks[..^1], e => Assert.Null(e.Json.GetProperty("choices")[0].Text("finish_reason")));
        Assert.Equal(chunks.Count, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        Assert.Equal("text_completion", whole.Text("object"));
        Assert.Equal(expected, whole.GetProperty("choices")[0].Text("text"));
        Assert.Equal(chunks.Count, whole.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }
}
