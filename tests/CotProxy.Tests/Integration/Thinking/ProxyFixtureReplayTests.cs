using CotProxy.Tests.Support;
using System.Text;
using System.Text.Json;
using CotProxy.Tests.Filtering;
using CotProxy.Filtering;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// Recorded real upstream bodies replayed over a loopback socket in uneven flushed writes, through the real proxy with
/// thinking stripped, read by a raw client: what the client assembles is the recorded answer and nothing else.
/// </summary>
public sealed class ProxyFixtureReplayTests
{
    private const string ChatRequest = """{"model":"any","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    public static TheoryData<string> TaggedStreams => new()
    {
        "groq__deepseek-r1-distill-llama-70b_stream_reasoning_format_raw_think_tags_in_content.txt",
        "together-via-hf-router__deepseek-r1_stream_think_tags_in_content_and_text.txt",
        "perplexity__sonar-reasoning-pro_stream_think_tags_in_content_no_DONE.txt",
        "ollama-openai-compat__qwen3_stream_escaped_think_tags_in_content_then_tool_call.txt",
        "llama-box-gpustack__qwen3_stream_literal_think_tags_in_content_tool_call_in_final_chunk_no_DONE.txt",
    };

    public static TheoryData<string> SeparatedReasoningStreams => new()
    {
        "llama.cpp__gpt-oss-20b_b6224_stream_reasoning_content_then_tool_call_timings.txt",
        "deepseek__deepseek-reasoner_stream_reasoning_content_usage.txt",
        "ollama-openai-compat__qwen3_stream_reasoning_field_usage.txt",
        "groq__gpt-oss-120b_stream_reasoning_then_midstream_event_error.txt",
        "openrouter__claude-sonnet-4.5_stream_reasoning_details_processing_comments.txt",
    };

    public static TheoryData<string> JsonBodies => new()
    {
        "perplexity__sonar-reasoning-pro_nonstream_think_tags_in_content.json.txt",
        "hyperbolic-via-hf-router__deepseek-r1-0528_nonstream_unclosed_think_finish_length.json.txt",
        "ik_llama.cpp__qwen3_nonstream_newline_closing_think_without_opening.json.txt",
        "ollama-openai-compat__qwen3_nonstream_reasoning_field.json.txt",
    };

    [Theory]
    [MemberData(nameof(TaggedStreams))]
    public async Task Proxy_TaggedStreamInUnevenWrites_ClientAssemblesRecordedAnswer(string name)
    {
        var input = Fixtures.ReadBytes(name);
        var output = await ReplayAsync("text/event-stream", input);
        var inEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(input));
        var outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output));

        AssertEveryDataLineIsJson(inEvents, outEvents);
        foreach (var (index, raw) in RewriterHarness.VisibleText(inEvents))
        {
            var visible = RewriterHarness.VisibleText(outEvents).GetValueOrDefault(index, "");
            Assert.Equal(RewriterHarness.ReferenceAnswer(raw), visible);
            var start = raw.IndexOf("<think>", StringComparison.Ordinal);
            var end = raw.IndexOf("</think>", StringComparison.Ordinal);
            var snippet = FixtureChecks.Snippet(raw[(start + 7)..end]);
            Assert.DoesNotContain(FixtureChecks.AllStrings(outEvents.Where(e => e != "[DONE]")), s => s.Contains(snippet, StringComparison.Ordinal));
        }

        // The split of the upstream's writes must not change a byte: the same body rewritten in one piece is the reference.
        Assert.Equal(Encoding.UTF8.GetString(RewriterHarness.Run("text/event-stream", new ResponseRewriteOptions(), input, 0)), Encoding.UTF8.GetString(output));
    }

    [Theory]
    [MemberData(nameof(SeparatedReasoningStreams))]
    public async Task Proxy_SeparatedReasoningStream_ReasoningGoneAnswerAndToolCallsKept(string name)
    {
        var input = Fixtures.ReadBytes(name);
        var output = await ReplayAsync("text/event-stream", input);
        var inEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(input));
        var outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output));

        AssertEveryDataLineIsJson(inEvents, outEvents);
        var inJson = inEvents.Where(IsJson).ToList();
        var outJson = outEvents.Where(IsJson).ToList();
        FixtureChecks.NoReasoningFields(outJson);
        Assert.Equal(RewriterHarness.VisibleText(inJson), RewriterHarness.VisibleText(outJson));
        Assert.Equal(FixtureChecks.ToolCalls(inJson), FixtureChecks.ToolCalls(outJson));
        Assert.Equal(FixtureChecks.UsageEvents(inJson), FixtureChecks.UsageEvents(outJson));
        Assert.Equal(inEvents.Contains("[DONE]"), outEvents.Contains("[DONE]"));
    }

    [Fact]
    public async Task Proxy_MultipleChoicesStreamWithoutThinking_BytesUnchanged()
    {
        // OpenAI's own n=3 stream: three choices interleaved, a usage-only final chunk; nothing to strip, nothing changed.
        var input = Fixtures.ReadBytes("openai__gpt-4o_stream_n3_multiple_choices_usage_chunk.txt");
        var output = await ReplayAsync("text/event-stream", input);
        Assert.Equal(Encoding.UTF8.GetString(input), Encoding.UTF8.GetString(output));
    }

    [Fact]
    public async Task Proxy_OllamaNativeChatNdjson_ThinkingGoneEveryLineJson()
    {
        // Ollama's native /api/chat streams application/x-ndjson with the thought in message.thinking.
        var input = Fixtures.ReadBytes("ollama-cloud-native__gpt-oss-120b_api_chat_ndjson_stream_thinking_field.txt");
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/x-ndjson", Pieces.ForFixture(input)));
        var response = await pair.PostAsync("""{"model":"gpt-oss:120b","messages":[{"role":"user","content":"hi"}]}""", "/api/chat");

        Assert.Equal(200, response.Status);
        var inLines = Encoding.UTF8.GetString(input).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var outLines = Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(response.Body)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(outLines, line => Assert.True(IsJson(line), "not JSON: " + line));
        FixtureChecks.NoReasoningFields(outLines);
        Assert.Equal(RewriterHarness.VisibleText(inLines), RewriterHarness.VisibleText(outLines));
        Assert.Contains("\"done\":true", outLines[^1], StringComparison.Ordinal);
        Assert.True(outLines.Length < inLines.Length, "lines that carried only thinking are dropped");
    }

    [Theory]
    [MemberData(nameof(JsonBodies))]
    public async Task Proxy_JsonBodyInUnevenWrites_RewrittenWithExactContentLength(string name)
    {
        foreach (var upstreamSendsLength in new[] { true, false })
        {
            var input = Fixtures.ReadBytes(name);
            await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/json", Pieces.ForFixture(input), contentLength: upstreamSendsLength));
            using var client = await RawConnection.OpenAsync(pair.Proxy.LocalEndPoint);
            var request = Encoding.UTF8.GetBytes(ChatRequest.Replace("true", "false", StringComparison.Ordinal));
            await client.SendAsync([.. Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\nContent-Length: {request.Length}\r\nConnection: close\r\n\r\n"), .. request]);

            // Read to the close, not to the declared length, so a wrong Content-Length cannot hide bytes past it.
            var raw = await client.ReadToEndAsync(15_000);
            var headEnd = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var head = RawResponse.ParseHead(raw[..(headEnd + 4)]);
            var body = Encoding.Latin1.GetBytes(raw[(headEnd + 4)..]);

            Assert.Equal(200, head.Status);
            Assert.Null(head.Header("Transfer-Encoding"));
            Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Header("Content-Length"));
            Assert.Equal(RewriterHarness.Run("application/json", new ResponseRewriteOptions(), input, 0), body);
            Assert.NotEqual(input, body);
            using var document = JsonDocument.Parse(body);
            FixtureChecks.NoReasoningFields([Encoding.UTF8.GetString(body)]);
            var content = document.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
            Assert.DoesNotContain("think>", content, StringComparison.Ordinal);
        }
    }

    /// <summary>Replays <paramref name="body"/> from a loopback upstream in about 400 uneven flushed writes and returns the body the client got.</summary>
    private static async Task<byte[]> ReplayAsync(string contentType, byte[] body)
    {
        await using var pair = ProxyPair.Start(new PiecewiseUpstream(contentType, Pieces.ForFixture(body)));
        var response = await pair.PostAsync(ChatRequest);
        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        return Encoding.Latin1.GetBytes(response.Body);
    }

    private static void AssertEveryDataLineIsJson(List<string> inEvents, List<string> outEvents)
    {
        foreach (var data in outEvents)
        {
            // A data line that was not JSON upstream passes untouched; every other one must still parse.
            Assert.True(data == "[DONE]" || IsJson(data) || inEvents.Contains(data), "A data line is not valid JSON: " + data);
        }
    }

    private static bool IsJson(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
