using System.Text;
using CotProxy.Tests.Support;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class SseFixtureTests
{
    private const string EventStream = "text/event-stream";

    // Streams whose answer text carries <think> blocks (literal or JSON-escaped).
    public static TheoryData<string> TaggedStreams => new()
    {
        "groq__deepseek-r1-distill-llama-70b_stream_reasoning_format_raw_think_tags_in_content.txt",
        "together-via-hf-router__deepseek-r1_stream_think_tags_in_content_and_text.txt",
        "perplexity__sonar-reasoning-pro_stream_think_tags_in_content_no_DONE.txt",
        "ollama-openai-compat__qwen3_stream_escaped_think_tags_in_content_then_tool_call.txt",
        "llama-box-gpustack__qwen3_stream_literal_think_tags_in_content_tool_call_in_final_chunk_no_DONE.txt",
    };

    // Streams whose reasoning the upstream already separated into its own field.
    public static TheoryData<string> SeparatedReasoningStreams => new()
    {
        "llama.cpp__gpt-oss-20b_b6224_stream_reasoning_content_then_tool_call_timings.txt",
        "llama-box-gpustack__qwen3_stream_reasoning_content_no_DONE.txt",
        "deepseek__deepseek-reasoner_stream_reasoning_content_usage.txt",
        "ollama-openai-compat__qwen3_stream_reasoning_field_usage.txt",
        "ollama-openai-compat__qwen3_stream_reasoning_then_tool_call.txt",
        "groq__gpt-oss-120b_stream_reasoning_channel_tool_calls_x_groq_usage.txt",
        "groq__gpt-oss-120b_stream_reasoning_then_midstream_event_error.txt",
        "openrouter__claude-sonnet-4.5_stream_reasoning_details_processing_comments.txt",
    };

    // Streams with no thinking at all, and Responses API streams (not chat completions): untouched.
    public static TheoryData<string> UntouchedStreams => new()
    {
        "openai__gpt-4o_stream_n3_multiple_choices_usage_chunk.txt",
        "openai__gpt-4o_stream_parallel_tool_calls.txt",
        "openai__gpt-4o_stream_max_tokens1_finish_length.txt",
        "vllm-near-ai__deepseek-v3.1_stream_usage_chunk_sha256_verified.txt",
        "sglang-near-ai__qwen3.5-122b_stream_usage_chunk_sha256_verified.txt",
        "openai__o3-mini_responses_api_stream_reasoning_summary_and_output_text.txt",
        "openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt",
    };

    [FixtureTheory]
    [MemberData(nameof(TaggedStreams))]
    public void Rewrite_TaggedStream_VisibleTextIsRecordedAnswer(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);
        var options = new ResponseRewriteOptions();
        byte[] output = RunAllChunkings(input, options);
        List<string> inEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(input));
        List<string> outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output));

        AssertStreamInvariants(input, output, inEvents, outEvents);
        foreach (string field in new[] { "content", "text" })
        {
            SortedDictionary<int, string> raw = RewriterHarness.VisibleText(inEvents, field);
            SortedDictionary<int, string> visible = RewriterHarness.VisibleText(outEvents, field);
            foreach ((int index, string text) in raw)
            {
                string expected = RewriterHarness.ReferenceAnswer(text);
                Assert.Equal(expected, visible.GetValueOrDefault(index, ""));
                Assert.DoesNotContain("<think>", visible.GetValueOrDefault(index, ""), StringComparison.Ordinal);
                int start = text.IndexOf("<think>", StringComparison.Ordinal);
                int end = text.IndexOf("</think>", StringComparison.Ordinal);
                Assert.True(start >= 0 && end > start, "the recorded stream carries a think block");
                string snippet = FixtureChecks.Snippet(text[(start + 7)..end]);
                Assert.DoesNotContain(FixtureChecks.AllStrings(outEvents), s => s.Contains(snippet, StringComparison.Ordinal));
            }
        }

        Golden.Verify(Describe(outEvents, output), "Sse." + Path.GetFileNameWithoutExtension(name));
    }

    [FixtureTheory]
    [MemberData(nameof(SeparatedReasoningStreams))]
    public void Rewrite_SeparatedReasoningStream_ReasoningRemovedAnswerKept(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);
        var options = new ResponseRewriteOptions();
        byte[] output = RunAllChunkings(input, options);
        List<string> inEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(input)).Where(IsJson).ToList();
        List<string> outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output)).Where(IsJson).ToList();

        AssertStreamInvariants(input, output, inEvents, outEvents);
        Assert.Equal(RewriterHarness.VisibleText(inEvents), RewriterHarness.VisibleText(outEvents));
        FixtureChecks.NoReasoningFields(outEvents);
        Golden.Verify(Describe(outEvents, output), "Sse." + Path.GetFileNameWithoutExtension(name));
    }

    [FixtureTheory]
    [MemberData(nameof(UntouchedStreams))]
    public void Rewrite_StreamWithoutThinking_BytesUnchanged(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);
        byte[] output = RunAllChunkings(input, new ResponseRewriteOptions());
        Assert.Equal(Encoding.UTF8.GetString(input), Encoding.UTF8.GetString(output));
    }

    [FixtureFact]
    public void Rewrite_LegacyCompletionsEvents_TextAndUsageSurvive()
    {
        // The recorder stored one event JSON per line; replayed as "data: <line>\n\n" + [DONE], as vercel/ai's tests do.
        string lines = File.ReadAllText(Fixtures.PathOf("openai__gpt-3.5-turbo-instruct_legacy_completions_stream_events_jsonl.txt"));
        var framed = new StringBuilder();
        foreach (string line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            framed.Append("data: ").Append(line).Append("\n\n");
        }

        framed.Append("data: [DONE]\n\n");
        byte[] input = Encoding.UTF8.GetBytes(framed.ToString());
        byte[] output = RunAllChunkings(input, new ResponseRewriteOptions());
        List<string> inEvents = RewriterHarness.SseData(framed.ToString());
        List<string> outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output));
        AssertStreamInvariants(input, output, inEvents, outEvents);
        Assert.Equal(RewriterHarness.VisibleText(inEvents, "text"), RewriterHarness.VisibleText(outEvents, "text"));
    }

    [FixtureFact]
    public void Rewrite_PerplexityCrlfStream_KeepsCrlfLineEndings()
    {
        byte[] input = Fixtures.ReadBytes("perplexity__sonar-reasoning-pro_stream_think_tags_in_content_no_DONE.txt");
        string output = Encoding.UTF8.GetString(RewriterHarness.Run(EventStream, new ResponseRewriteOptions(), input, 0));
        Assert.Contains("\r\n\r\n", output, StringComparison.Ordinal);
        Assert.DoesNotMatch("[^\r]\n", output);
    }

    [FixtureFact]
    public void Rewrite_GroqMidstreamError_ErrorEventPassesAsItCame()
    {
        byte[] input = Fixtures.ReadBytes("groq__gpt-oss-120b_stream_reasoning_then_midstream_event_error.txt");
        string text = Encoding.UTF8.GetString(input);
        int errorAt = text.IndexOf("event: error", StringComparison.Ordinal);
        Assert.True(errorAt >= 0);
        string errorEvent = text[errorAt..(text.IndexOf("\n\n", errorAt, StringComparison.Ordinal) + 2)];
        string output = Encoding.UTF8.GetString(RewriterHarness.Run(EventStream, new ResponseRewriteOptions(), input, 0));
        Assert.Contains(errorEvent, output, StringComparison.Ordinal);
    }

    [FixtureFact]
    public void Rewrite_SplitModeTaggedStream_ThinkingMovesToReasoningContent()
    {
        byte[] input = Fixtures.ReadBytes("ollama-openai-compat__qwen3_stream_escaped_think_tags_in_content_then_tool_call.txt");
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Split };
        byte[] output = RunAllChunkings(input, options);
        List<string> inEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(input));
        List<string> outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output));
        string raw = RewriterHarness.VisibleText(inEvents)[0];
        int end = raw.IndexOf("</think>", StringComparison.Ordinal);
        // Without the blank lines around it, as Ollama's thinking parser separates it.
        Assert.Equal(raw[7..end].Trim(' ', '\t', '\n', '\r'), RewriterHarness.VisibleText(outEvents, "reasoning_content")[0]);
        Assert.Equal(RewriterHarness.ReferenceAnswer(raw), RewriterHarness.VisibleText(outEvents).GetValueOrDefault(0, ""));
        Assert.Equal(FixtureChecks.ToolCalls(inEvents), FixtureChecks.ToolCalls(outEvents));
    }

    /// <summary>Whole, one byte at a time, and a few chunk sizes: the output must not depend on the split.</summary>
    private static byte[] RunAllChunkings(byte[] input, ResponseRewriteOptions options)
    {
        byte[] whole = RewriterHarness.Run(EventStream, options, input, 0);
        foreach (int size in new[] { 1, 7, 100, 4096 })
        {
            byte[] chunked = RewriterHarness.Run(EventStream, options, input, size);
            Assert.True(whole.AsSpan().SequenceEqual(chunked), $"output differs when fed in {size}-byte chunks");
        }

        return whole;
    }

    private static void AssertStreamInvariants(byte[] input, byte[] output, List<string> inEvents, List<string> outEvents)
    {
        string inText = Encoding.UTF8.GetString(input);
        string outText = Encoding.UTF8.GetString(output);
        foreach (string data in outEvents)
        {
            if (data != "[DONE]" && IsJson(data) is false && inEvents.Contains(data) is false)
            {
                Assert.Fail("A data line is not valid JSON: " + data);
            }
        }

        Assert.Equal(inText.Contains("data: [DONE]", StringComparison.Ordinal), outText.Contains("data: [DONE]", StringComparison.Ordinal));
        List<string> inJson = inEvents.Where(IsJson).ToList();
        List<string> outJson = outEvents.Where(IsJson).ToList();
        Assert.Equal(FixtureChecks.UsageEvents(inJson), FixtureChecks.UsageEvents(outJson));
        Assert.Equal(FixtureChecks.ToolCalls(inJson), FixtureChecks.ToolCalls(outJson));
    }

    private static bool IsJson(string data)
    {
        if (data == "[DONE]")
        {
            return false;
        }

        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(data);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Golden text: the visible answer per choice, and the whole rewritten stream when it is small.</summary>
    private static string Describe(List<string> outEvents, byte[] output)
    {
        var builder = new StringBuilder();
        foreach ((int index, string text) in RewriterHarness.VisibleText(outEvents.Where(IsJson)))
        {
            builder.Append("=== answer of choice ").Append(index).Append(" ===\n").Append(text).Append('\n');
        }

        builder.Append("=== events: ").Append(outEvents.Count).Append(" ===\n");
        if (output.Length <= 48 * 1024)
        {
            builder.Append(Encoding.UTF8.GetString(output));
        }

        return builder.ToString();
    }
}
