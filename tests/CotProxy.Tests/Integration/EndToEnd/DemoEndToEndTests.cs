using System.Text;
using System.Text.Json;
using CotProxy.Tests.Support;
using CotProxy.Demo;

namespace CotProxy.Tests.Integration.EndToEnd;

public sealed class DemoEndToEndTests
{
    // The proxy targets the demo as `--demo` does: a base URL ending in /v1/.
    private static Uri DemoTarget(TestServer demo) => new($"http://127.0.0.1:{demo.EndPoint.Port}/v1/");

    [Fact]
    public async Task ChatCompletion_NotStreamed_ThinkBlockThenAnswer()
    {
        await using var demo = new TestServer(new DemoHandler());
        await using var proxy = new ProxyFixture(DemoTarget(demo));

        var response = await proxy.PostJsonAsync("/v1/chat/completions",
            """{"model":"demo-reasoner","demo_token_delay_ms":0,"messages":[{"role":"user","content":"Why is the sky blue?"}]}""");

        Assert.Equal(200, response.Status);
        var json = ResponseBytes.Json(response);
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        var content = json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.StartsWith("<think>\n", content, StringComparison.Ordinal);
        Assert.Contains("</think>", content, StringComparison.Ordinal);
        Assert.EndsWith("</think>\n\n" + DemoModel.Answer("Why is the sky blue?"), content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletion_Streamed_EventsCarryThinkBlockThenAnswer()
    {
        await using var demo = new TestServer(new DemoHandler());
        await using var proxy = new ProxyFixture(DemoTarget(demo));

        var response = await proxy.PostJsonAsync("/v1/chat/completions",
            """{"model":"demo-reasoner","stream":true,"demo_token_delay_ms":0,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, response.Status);
        Assert.StartsWith("text/event-stream", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("no", response.Header("X-Accel-Buffering"));
        var text = new StringBuilder();
        var events = ResponseBytes.Utf8(response).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        foreach (var sse in events[..^1])
        {
            Assert.StartsWith("data: ", sse, StringComparison.Ordinal);
            using var chunk = JsonDocument.Parse(sse["data: ".Length..]);
            Assert.Equal("chat.completion.chunk", chunk.RootElement.GetProperty("object").GetString());
            if (chunk.RootElement.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var piece))
            {
                text.Append(piece.GetString());
            }
        }

        Assert.Equal(string.Concat(DemoModel.Tokens("hi")), text.ToString());
        Assert.StartsWith("<think>", text.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("</think>\n\n" + DemoModel.Answer("hi"), text.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    public async Task Models_ThroughProxy_ListsEveryDemoModel(string path)
    {
        await using var demo = new TestServer(new DemoHandler());
        await using var proxy = new ProxyFixture(DemoTarget(demo));

        var response = await proxy.GetAsync(path);

        Assert.Equal(200, response.Status);
        var data = ResponseBytes.Json(response).GetProperty("data");
        Assert.Equal(DemoModel.Models.Select(m => m.Id), data.EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("demo-reasoner", data[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task PseudoModel_AgainstDemo_ProfileReachesTheModel()
    {
        await using var demo = new TestServer(new DemoHandler());
        await using var proxy = new ProxyFixture(DemoTarget(demo), "model=Demo-Short,upstream_model_name=demo-reasoner,max_tokens=2");

        var response = await proxy.PostJsonAsync("/v1/chat/completions",
            """{"model":"Demo-Short","demo_token_delay_ms":0,"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(200, response.Status);
        var choice = ResponseBytes.Json(response).GetProperty("choices")[0];
        Assert.Equal("<think>\n", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
    }
}
