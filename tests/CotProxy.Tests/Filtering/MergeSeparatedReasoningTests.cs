using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Filtering;

/// <summary>think_mode=merge over reasoning the server separated: it moves to the start of the answer in tags.</summary>
public sealed class MergeSeparatedReasoningTests
{
    private const string EventStream = "text/event-stream";
    private const string Ndjson = "application/x-ndjson";
    private const string Json = "application/json";

    private static readonly ResponseRewriteOptions s_merge = new() { Mode = ThinkMode.Merge };

    public static TheoryData<string> Streams => new()
    {
        "deepseek__deepseek-reasoner_stream_reasoning_content_usage.txt",
        "ollama-openai-compat__qwen3_stream_reasoning_field_usage.txt",
        "ollama-openai-compat__qwen3_stream_reasoning_then_tool_call.txt",
        "llama.cpp__gpt-oss-20b_b6224_stream_reasoning_content_then_tool_call_timings.txt",
        "llama-box-gpustack__qwen3_stream_reasoning_content_no_DONE.txt",
        "groq__gpt-oss-120b_stream_reasoning_then_midstream_event_error.txt",
    };

    public static TheoryData<string> Bodies => new()
    {
        "llama.cpp__gpt-oss-20b_b6224_nonstream_reasoning_content_timings.json.txt",
        "ollama-openai-compat__qwen3_nonstream_reasoning_field.json.txt",
    };

    [FixtureTheory]
    [MemberData(nameof(Streams))]
    public void Rewrite_MergeModeSeparatedReasoningStream_ReasoningLeadsTheAnswerInTags(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);
        byte[] output = RunAllChunkings(EventStream, input, s_merge);
        List<string> inEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(input)).Where(IsJson).ToList();
        List<string> outEvents = RewriterHarness.SseData(Encoding.UTF8.GetString(output)).Where(IsJson).ToList();

        Assert.Equal(ReferenceMerge(inEvents), RewriterHarness.VisibleText(outEvents));
        NoMovedReasoning(outEvents);
        Assert.Equal(FixtureChecks.ToolCalls(inEvents), FixtureChecks.ToolCalls(outEvents));
        Assert.Equal(FixtureChecks.UsageEvents(inEvents), FixtureChecks.UsageEvents(outEvents));
        Golden.Verify(Encoding.UTF8.GetString(output), "Merge.Sse." + Path.GetFileNameWithoutExtension(name));
    }

    [FixtureFact]
    public void Rewrite_MergeModeOllamaNativeChat_ThinkingLeadsTheContentInTags()
    {
        const string Name = "ollama-cloud-native__gpt-oss-120b_api_chat_ndjson_stream_thinking_field.txt";
        byte[] input = Fixtures.ReadBytes(Name);
        byte[] output = RunAllChunkings(Ndjson, input, s_merge);
        List<string> inLines = Lines(input);
        List<string> outLines = Lines(output);

        Assert.Equal(ReferenceMerge(inLines), RewriterHarness.VisibleText(outLines));
        NoMovedReasoning(outLines);
        Assert.Contains(outLines, line => line.Contains("\"done\":true", StringComparison.Ordinal));
        Golden.Verify(Encoding.UTF8.GetString(output), "Merge.Ndjson." + Path.GetFileNameWithoutExtension(Name));
    }

    [FixtureTheory]
    [MemberData(nameof(Bodies))]
    public void Rewrite_MergeModeSeparatedReasoningBody_ContentIsTaggedReasoningThenAnswer(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);
        byte[] output = RewriterHarness.Run(Json, s_merge, input, 0);
        Assert.Equal(output, RewriterHarness.Run(Json, s_merge, input, 1));

        JsonNode expected = JsonNode.Parse(input)!;
        JsonObject message = expected["choices"]![0]!["message"]!.AsObject();
        string reasoning = (message["reasoning_content"] ?? message["reasoning"])!.GetValue<string>();
        message["content"] = "<think>" + reasoning + "</think>" + message["content"]?.GetValue<string>();
        message.Remove("reasoning");
        message.Remove("reasoning_content");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(output)), Encoding.UTF8.GetString(output));
        Golden.Verify(Encoding.UTF8.GetString(output), "Merge.Json." + Path.GetFileNameWithoutExtension(name));
    }

    [Fact]
    public void Rewrite_MergeModeOllamaGenerateStream_ThinkingLeadsTheResponse()
    {
        // Ollama's /api/generate with "think": true streams a root "thinking" beside an empty "response" (its docs/api.md).
        const string Input =
            "{\"model\":\"qwen3\",\"response\":\"\",\"thinking\":\"Let me\",\"done\":false}\n"
            + "{\"model\":\"qwen3\",\"response\":\"\",\"thinking\":\" think.\",\"done\":false}\n"
            + "{\"model\":\"qwen3\",\"response\":\"Hi\",\"done\":false}\n"
            + "{\"model\":\"qwen3\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\"}\n";
        byte[] output = RunAllChunkings(Ndjson, Encoding.UTF8.GetBytes(Input), s_merge);
        Assert.Equal(
            "{\"model\":\"qwen3\",\"response\":\"<think>Let me\",\"done\":false}\n"
            + "{\"model\":\"qwen3\",\"response\":\" think.\",\"done\":false}\n"
            + "{\"model\":\"qwen3\",\"response\":\"</think>Hi\",\"done\":false}\n"
            + "{\"model\":\"qwen3\",\"response\":\"\",\"done\":true,\"done_reason\":\"stop\"}\n",
            Encoding.UTF8.GetString(output));
    }

    [Fact]
    public void Rewrite_MergeModeOllamaGenerateBody_ResponseIsTaggedThinkingThenAnswer()
    {
        const string Input = "{\"model\":\"qwen3\",\"response\":\"Hi\",\"thinking\":\"Greet.\",\"done\":true}";
        Assert.Equal(
            "{\"model\":\"qwen3\",\"response\":\"<think>Greet.</think>Hi\",\"done\":true}",
            Encoding.UTF8.GetString(RewriterHarness.Run(Json, s_merge, Encoding.UTF8.GetBytes(Input), 0)));
    }

    [Fact]
    public void Rewrite_MergeModeStreamEndsInsideReasoning_LeftoversCloseTheBlock()
    {
        const string Input =
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"reasoning_content\":\"Hm\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"m.\"}}]}\n\n";
        byte[] output = RunAllChunkings(EventStream, Encoding.UTF8.GetBytes(Input), s_merge);
        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"<think>Hm\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"m.\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>\"},\"finish_reason\":null}]}\n\n",
            Encoding.UTF8.GetString(output));
    }

    [Fact]
    public void Rewrite_MergeModeFinishWithoutDelta_ClosesInADeltaOfItsOwn()
    {
        const string Input =
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"Hm\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"length\"}]}\n\n"
            + "data: [DONE]\n\n";
        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>Hm\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"finish_reason\":\"length\",\"delta\":{\"content\":\"</think>\"}}]}\n\n"
            + "data: [DONE]\n\n",
            Encoding.UTF8.GetString(RunAllChunkings(EventStream, Encoding.UTF8.GetBytes(Input), s_merge)));
    }

    [Fact]
    public void Rewrite_MergeModeToolCallAfterReasoning_ClosesBeforeTheCall()
    {
        const string Input =
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Call it.\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\n";
        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>Call it.\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}],\"content\":\"</think>\"}}]}\n\n",
            Encoding.UTF8.GetString(RunAllChunkings(EventStream, Encoding.UTF8.GetBytes(Input), s_merge)));
    }

    [Fact]
    public void Rewrite_MergeModeChoicesApart_EachChoiceOpensAndClosesItsOwn()
    {
        const string Input =
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"a\"}},{\"index\":1,\"delta\":{\"reasoning\":\"b\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"B\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"a2\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"},\"finish_reason\":\"stop\"}]}\n\n";
        List<string> events = RewriterHarness.SseData(Encoding.UTF8.GetString(RunAllChunkings(EventStream, Encoding.UTF8.GetBytes(Input), s_merge)));
        SortedDictionary<int, string> visible = RewriterHarness.VisibleText(events);
        Assert.Equal("<think>aa2</think>A", visible[0]);
        Assert.Equal("<think>b</think>B", visible[1]);
    }

    [Theory]
    [InlineData("thinking")]
    [InlineData("mistral")]
    [InlineData("harmony")]
    [InlineData(null)]
    public void Rewrite_MergeModeAnyFamily_ThinkTagsAroundSeparatedReasoning(string? family)
    {
        // Merge writes one spelling whatever the profile's family: issue 15 names <think>…</think>.
        const string start = "<think>", end = "</think>";
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Merge, ThinkTags = family };
        const string Input = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A\",\"reasoning_content\":\"R\"}}]}";
        string content = JsonNode.Parse(RewriterHarness.Run(Json, options, Encoding.UTF8.GetBytes(Input), 0))!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal(start + "R" + end + "A", content);
    }

    [Fact]
    public void Rewrite_MergeModeReasoningThenTaggedContent_BothBlocksLeadTheAnswer()
    {
        const string Input = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>T</think>A\",\"reasoning_content\":\"R\"}}]}";
        string content = JsonNode.Parse(RewriterHarness.Run(Json, s_merge, Encoding.UTF8.GetBytes(Input), 0))!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal("<think>R</think><think>T</think>A", content);
    }

    [Fact]
    public void Rewrite_MergeModeEscapedReasoning_DecodedThenReescaped()
    {
        const string Input = "{\"choices\":[{\"index\":0,\"message\":{\"content\":null,\"reasoning\":\"a\\\"b\\u00e9\\n\"}}]}";
        string output = Encoding.UTF8.GetString(RewriterHarness.Run(Json, s_merge, Encoding.UTF8.GetBytes(Input), 0));
        Assert.Equal("<think>a\"bé\n</think>", JsonNode.Parse(output)!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.DoesNotContain("reasoning", output, StringComparison.Ordinal);
    }

    [FixtureFact]
    public void Rewrite_SplitModeSeparatedReasoning_StaysInItsField()
    {
        byte[] input = Fixtures.ReadBytes("deepseek__deepseek-reasoner_stream_reasoning_content_usage.txt");
        Assert.Equal(input, RewriterHarness.Run(EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input, 0));
    }

    [Theory]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"r\"}}]}")]
    [InlineData("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"r\"}}]}")]
    [InlineData("{\"message\":{\"content\":\"\",\"thinking\":\"r\"},\"done\":false}")]
    [InlineData("{\"response\":\"\",\"thinking\":\"r\",\"done\":false}")]
    public void Probe_MergeModeDocumentWithReasoning_TakesTheFullPath(string json)
    {
        using var context = new JsonRewriteContext(s_merge, streaming: true);
        context.GetChoice(0).Content.Process("Answer"u8, new ArrayBufferWriter<byte>(), null);
        Assert.Equal(ProbeVerdict.FullPath, s_merge.Probe.Decide(Encoding.UTF8.GetBytes(json), context, out _, out _));
    }

    [Fact]
    public void Probe_MergeModeInsideReasoning_PlainAnswerTakesTheFullPath()
    {
        // A tag-free answer of a steady choice passes the fast path, except where it must close the reasoning.
        const string Answer = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" more\"},\"finish_reason\":null}]}";
        using var rewriter = new JsonPayloadRewriter(s_merge, streaming: true);
        using var output = new PooledByteBuffer();
        rewriter.Rewrite("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Answer\"}}]}"u8, output);
        Assert.Equal(JsonRewriteResult.Unchanged, rewriter.Rewrite(Encoding.UTF8.GetBytes(Answer), output));
        Assert.Equal(1, rewriter.ProbePasses);

        using var inside = new JsonPayloadRewriter(s_merge, streaming: true);
        Assert.Equal(JsonRewriteResult.Rewritten, inside.Rewrite("{\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"r\"}}]}"u8, output));
        Assert.Equal(JsonRewriteResult.Rewritten, inside.Rewrite(Encoding.UTF8.GetBytes(Answer), output));
        Assert.Equal(0, inside.ProbePasses);
        Assert.Equal("</think> more", JsonNode.Parse(output.WrittenSpan)!["choices"]![0]!["delta"]!["content"]!.GetValue<string>());
    }

    /// <summary>
    /// What a client reading only "content" should see: per choice, each run of reasoning opened with &lt;think&gt;, and
    /// closed before the next answer text, tool call or finish, or at the end.
    /// </summary>
    internal static SortedDictionary<int, string> ReferenceMerge(IEnumerable<string> jsonEvents)
    {
        var text = new SortedDictionary<int, StringBuilder>();
        var open = new HashSet<int>();
        foreach (string json in jsonEvents)
        {
            using var doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            bool done = root.TryGetProperty("done", out JsonElement d) && d.ValueKind == JsonValueKind.True;
            if (root.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.Object)
            {
                Step(text, open, 0, message, "thinking", "content", done);
            }
            else if (root.TryGetProperty("response", out _))
            {
                Step(text, open, 0, root, "thinking", "response", done);
            }

            if (!root.TryGetProperty("choices", out JsonElement choices) || choices.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (JsonElement choice in choices.EnumerateArray())
            {
                int index = choice.TryGetProperty("index", out JsonElement i) ? i.GetInt32() : 0;
                bool finish = choice.TryGetProperty("finish_reason", out JsonElement f) && f.ValueKind == JsonValueKind.String;
                if (choice.TryGetProperty("delta", out JsonElement delta) && delta.ValueKind == JsonValueKind.Object)
                {
                    Step(text, open, index, delta, delta.TryGetProperty("reasoning_content", out _) ? "reasoning_content" : "reasoning", "content", finish);
                }
            }
        }

        var result = new SortedDictionary<int, string>();
        foreach ((int index, StringBuilder builder) in text)
        {
            result[index] = builder.ToString() + (open.Contains(index) ? "</think>" : "");
        }

        return result;
    }

    private static void Step(SortedDictionary<int, StringBuilder> text, HashSet<int> open, int index, JsonElement container, string reasoningName, string answerName, bool finish)
    {
        if (!text.TryGetValue(index, out StringBuilder? builder))
        {
            builder = text[index] = new StringBuilder();
        }

        if (container.TryGetProperty(reasoningName, out JsonElement r) && r.ValueKind == JsonValueKind.String && r.GetString()!.Length > 0)
        {
            builder.Append(open.Add(index) ? "<think>" : "").Append(r.GetString());
        }

        string answer = container.TryGetProperty(answerName, out JsonElement a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "";
        bool call = container.TryGetProperty("tool_calls", out JsonElement t) && t.ValueKind != JsonValueKind.Null;
        if ((answer.Length > 0 || call || finish) && open.Remove(index))
        {
            builder.Append("</think>");
        }

        builder.Append(answer);
    }

    /// <summary>No reasoning_content, reasoning or thinking string with text is left (OpenRouter's structured reasoning_details may stay).</summary>
    private static void NoMovedReasoning(IEnumerable<string> jsonEvents)
    {
        foreach (string json in jsonEvents)
        {
            foreach (string key in new[] { "\"reasoning_content\":\"", "\"reasoning\":\"", "\"thinking\":\"" })
            {
                int at = json.IndexOf(key, StringComparison.Ordinal);
                Assert.True(at < 0 || json[at + key.Length] == '"', json);
            }
        }
    }

    private static byte[] RunAllChunkings(string contentType, byte[] input, ResponseRewriteOptions options)
    {
        byte[] whole = RewriterHarness.Run(contentType, options, input, 0);
        foreach (int size in new[] { 1, 7, 100 })
        {
            Assert.True(whole.AsSpan().SequenceEqual(RewriterHarness.Run(contentType, options, input, size)), $"output differs when fed in {size}-byte chunks");
        }

        return whole;
    }

    private static List<string> Lines(byte[] body) => Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static bool IsJson(string data)
    {
        try
        {
            using var doc = JsonDocument.Parse(data);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
