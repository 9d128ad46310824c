using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class SseResponseRewriterTests
{
    private const string EventStream = "text/event-stream";

    private static string Chunk(string deltaJson, string finish = "null", int index = 0) =>
        $"data: {{\"id\":\"c1\",\"model\":\"m\",\"choices\":[{{\"index\":{index},\"delta\":{deltaJson},\"finish_reason\":{finish}}}]}}\n\n";

    [Fact]
    public void Rewrite_TagSplitAcrossEvents_ThoughtEventsDroppedAnswerKept()
    {
        string input = Chunk("{\"role\":\"assistant\",\"content\":\"\"}")
            + Chunk("{\"content\":\"<th\"}")
            + Chunk("{\"content\":\"ink>secret</th\"}")
            + Chunk("{\"content\":\"ink>\\n\\nAnswer\"}")
            + Chunk("{}", "\"stop\"")
            + "data: [DONE]\n\n";
        string expected = Chunk("{\"role\":\"assistant\",\"content\":\"\"}")
            + Chunk("{\"content\":\"Answer\"}")
            + Chunk("{}", "\"stop\"")
            + "data: [DONE]\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_JsonEscapedTags_RecognisedAfterDecoding()
    {
        // Ollama (Go's encoding/json) escapes < and > as \u003c and \u003e.
        string input = Chunk("{\"content\":\"\\u003cthink\\u003ehidden\\u003c/think\\u003e\"}")
            + Chunk("{\"content\":\"Visible \\u003cb\\u003e\"}");
        string expected = Chunk("{\"content\":\"Visible \\u003cb\\u003e\"}");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_TwoChoicesInterleaved_EachFilteredIndependently()
    {
        string input = Chunk("{\"content\":\"<think>a\"}", index: 0)
            + Chunk("{\"content\":\"B1 \"}", index: 1)
            + Chunk("{\"content\":\"</think>A1\"}", index: 0)
            + Chunk("{\"content\":\"<think>b</think>B2\"}", index: 1);
        string expected = Chunk("{\"content\":\"B1 \"}", index: 1)
            + Chunk("{\"content\":\"A1\"}", index: 0)
            + Chunk("{\"content\":\"B2\"}", index: 1);
        // Choice 1's block follows its answer: a tag there counts with think_tags_anywhere=true.
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { TagsAnywhere = true }));
    }

    [Fact]
    public void Rewrite_TagInsideToolCallArguments_Untouched()
    {
        string input = Chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"q\\\":\\\"<think>x</think>\\\"}\"}}]}");
        Assert.Equal(input, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_CrlfCommentsEventIdRetry_PassAsTheyCame()
    {
        string input = ": keep-alive\r\n\r\nretry: 3000\r\n\r\nevent: message\r\nid: 7\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>Hi\"}}]}\r\n\r\n";
        string expected = ": keep-alive\r\n\r\nretry: 3000\r\n\r\nevent: message\r\nid: 7\r\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_LinesNoSseClientReads_LeftOutOfEveryEvent()
    {
        // WHATWG HTML §9.2.6 ignores a field it does not know; a JSON line inside an event is such a field to an SSE
        // client, but a client reading a mislabelled body as JSON lines would show it unfiltered.
        string input = "{\"message\":{\"thinking\":\"secret\"}}\n: ping\n\n"
            + "x-vendor: 1\n{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"secret\"}}]}\n\n"
            + "id: 5\n{\"thinking\":\"secret\"}\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>a</think>Yo\"}}]}\n\n"
            + "event: x\n{\"thinking\":\"secret\"}\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" Hi\"}}]}\n\n";
        string expected = ": ping\n\n"
            + "id: 5\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Yo\"}}]}\n\n"
            + "event: x\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" Hi\"}}]}\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_CarriageReturnOnlyLineEndings_EventsRecognised()
    {
        // WHATWG §9.2.6: a lone CR also ends a line.
        string input = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>Hi\"}}]}\r\rdata: [DONE]\r\r";
        string expected = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\r\rdata: [DONE]\r\r";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_MultiLineData_JoinedParsedAndRewrittenAsOneLine()
    {
        string input = "data: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"<think>x</think>Hi\"}}]}\n\n";
        string expected = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_NonJsonDataThatMayHoldATag_DroppedAndCounted()
    {
        // Failing closed: data the filter cannot read, holding what may be a tag, may open a thought.
        string input = "data: <think>not json</think>\n\ndata: [DONE]\n\n";
        Assert.Equal("data: [DONE]\n\n", RunEverySplit(input, new ResponseRewriteOptions()));
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions())!;
        rewriter.Write(Encoding.UTF8.GetBytes(input), new ArrayBufferWriter<byte>());
        Assert.Equal(1, rewriter.DroppedEvents);
    }

    [Fact]
    public void Rewrite_NonJsonDataWithNothingATagCouldStartWith_PassesUntouched()
    {
        string input = "data: plain words\n\ndata: [DONE]\n\n";
        Assert.Equal(input, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_EmptiedTextWithFinishReasonAndUsage_EventKept()
    {
        string input = Chunk("{\"content\":\"<think>never closed\"}")
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" still\"},\"finish_reason\":\"length\"}],\"usage\":{\"total_tokens\":5}}\n\n";
        string expected = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"length\"}],\"usage\":{\"total_tokens\":5}}\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_PartialTagHeldAtFinish_ReleasedIntoFinishEvent()
    {
        string input = Chunk("{\"content\":\"a <\"}") + Chunk("{}", "\"stop\"");
        string expected = Chunk("{\"content\":\"a \"}") + Chunk("{\"content\":\"<\"}", "\"stop\"");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_StartsOpenWithoutEndTag_HeldTextReleasedAsAnswer()
    {
        string input = Chunk("{\"content\":\"No thinking \"}") + Chunk("{\"content\":\"here.\"}") + Chunk("{}", "\"stop\"");
        string expected = Chunk("{\"content\":\"No thinking here.\"}", "\"stop\"");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { StartsOpen = true }));
    }

    [Fact]
    public void Rewrite_StartsOpenStreamEndsWithoutFinish_LeftoverEventSynthesized()
    {
        string input = Chunk("{\"content\":\"plain answer\"}");
        string expected = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"plain answer\"},\"finish_reason\":null}]}\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { StartsOpen = true }));
    }

    [Fact]
    public void Rewrite_StartsOpenWithEndTag_TextBeforeItHidden()
    {
        string input = Chunk("{\"content\":\"thinking...\"}") + Chunk("{\"content\":\"</think>\\n\\nAnswer\"}");
        Assert.Equal(Chunk("{\"content\":\"Answer\"}"), RunEverySplit(input, new ResponseRewriteOptions { StartsOpen = true }));
    }

    [Fact]
    public void Rewrite_TextAndDeltaContentInSameChunk_EachKeepsItsOwnState()
    {
        // Together (via the HF router) sends the same token in choices[].text and delta.content.
        static string Both(string t) =>
            $"data: {{\"choices\":[{{\"index\":0,\"text\":\"{t}\",\"delta\":{{\"content\":\"{t}\"}}}}]}}\n\n";
        string input = Both("<think>") + Both("x") + Both("</think>") + Both("\\n\\nHi");
        Assert.Equal(Both("Hi"), RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_SplitMode_ThinkingInReasoningFieldOfSameDelta()
    {
        string input = Chunk("{\"content\":\"<think>why\"}") + Chunk("{\"content\":\" so</think>Because\"}");
        string expected = Chunk("{\"content\":\"\",\"reasoning\":\"why\"}") + Chunk("{\"content\":\"Because\",\"reasoning\":\" so\"}");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { Mode = ThinkMode.Split, ReasoningField = "reasoning" }));
    }

    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 0)]
    public void Rewrite_AnchoredAnswerPastItsStart_TagBytesTakeTheFastPath(bool anywhere, int passes)
    {
        string input = Chunk("{\"content\":\"<think>x</think>Answer\"}") + Chunk("{\"content\":\" a <b> tag\"}") + Chunk("{\"content\":\" and [a](link)\"}");
        string expected = Chunk("{\"content\":\"Answer\"}") + Chunk("{\"content\":\" a <b> tag\"}") + Chunk("{\"content\":\" and [a](link)\"}");
        var options = new ResponseRewriteOptions { TagsAnywhere = anywhere };
        Assert.Equal(expected, RunEverySplit(input, options));
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, options)!;
        rewriter.Write(Encoding.UTF8.GetBytes(input), new ArrayBufferWriter<byte>());
        Assert.Equal(passes, rewriter.ProbePasses);
    }

    [Fact]
    public void Rewrite_MergeMode_ThoughtInlineAsThinkTagsAcrossEvents()
    {
        string input = Chunk("{\"content\":\"[THINK]why\"}") + Chunk("{\"content\":\" so\"}") + Chunk("{\"content\":\"[/THINK]Because\"}");
        string expected = Chunk("{\"content\":\"<think>why\"}") + Chunk("{\"content\":\" so\"}") + Chunk("{\"content\":\"</think>Because\"}");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { Mode = ThinkMode.Merge }));
    }

    [Fact]
    public void Rewrite_SplitModeBothFields_ThinkingInReasoningContentAndReasoning()
    {
        string input = Chunk("{\"content\":\"<think>why\"}") + Chunk("{\"content\":\" mid\"}") + Chunk("{\"content\":\" so</think>Because\"}");
        string expected = Chunk("{\"content\":\"\",\"reasoning_content\":\"why\",\"reasoning\":\"why\"}")
            + Chunk("{\"content\":\"\",\"reasoning_content\":\" mid\",\"reasoning\":\" mid\"}")
            + Chunk("{\"content\":\"Because\",\"reasoning_content\":\" so\",\"reasoning\":\" so\"}");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { Mode = ThinkMode.Split, ReasoningField = "both" }));
    }

    [Fact]
    public void Rewrite_SplitModeEventWhollyInThought_MovedByTheFastPathAsTheFullPathWould()
    {
        string input = Chunk("{\"content\":\"<think>why\"}") + Chunk("{\"content\":\" mid\\ndle\"}") + Chunk("{\"content\":\"</think>Because\"}");
        string expected = Chunk("{\"content\":\"\",\"reasoning\":\"why\"}") + Chunk("{\"content\":\"\",\"reasoning\":\" mid\\ndle\"}") + Chunk("{\"content\":\"Because\"}");
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Split, ReasoningField = "reasoning" };
        Assert.Equal(expected, RunEverySplit(input, options));
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, options)!;
        rewriter.Write(Encoding.UTF8.GetBytes(input), new ArrayBufferWriter<byte>());
        Assert.Equal(1, rewriter.ProbePasses);
    }

    [Fact]
    public void Rewrite_StripModeEventWhollyInThought_DroppedByTheFastPath()
    {
        string input = Chunk("{\"content\":\"<think>why\"}") + Chunk("{\"content\":\" middle\"}") + Chunk("{\"content\":\"</think>Because\"}") + Chunk("{\"content\":\" so\"}");
        Assert.Equal(Chunk("{\"content\":\"Because\"}") + Chunk("{\"content\":\" so\"}"), RunEverySplit(input, new ResponseRewriteOptions()));
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions())!;
        rewriter.Write(Encoding.UTF8.GetBytes(input), new ArrayBufferWriter<byte>());
        Assert.Equal(2, rewriter.ProbePasses);
    }

    [Fact]
    public void Rewrite_SplitMode_BlankLinesAroundTheThoughtTrimmed()
    {
        string input = Chunk("{\"content\":\"<think>\"}") + Chunk("{\"content\":\"\\n\\n\"}") + Chunk("{\"content\":\"Why\\n\"}")
            + Chunk("{\"content\":\"\\nso \"}") + Chunk("{\"content\":\"it is.\\n \\n\"}") + Chunk("{\"content\":\"</think>\\n\\nBecause\"}");
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Split };
        string output = RunEverySplit(input, options);
        var events = RewriterHarness.SseData(output);

        Assert.Equal("Why\n\nso it is.", RewriterHarness.VisibleText(events, "reasoning_content")[0]);
        Assert.Equal("Because", RewriterHarness.VisibleText(events)[0]);
    }

    [Fact]
    public void Rewrite_SplitModeWholeBody_BlankLinesAroundTheThoughtTrimmed()
    {
        string input = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>\\n  Why\\n\\nso.\\n\\n</think>\\n\\nBecause\"}}]}";
        string output = Encoding.UTF8.GetString(RewriterHarness.Run("application/json", new ResponseRewriteOptions { Mode = ThinkMode.Split }, Encoding.UTF8.GetBytes(input), 0));
        Assert.Equal("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"Because\",\"reasoning_content\":\"Why\\n\\nso.\"}}]}", output);
    }

    [Fact]
    public void Rewrite_DroppedEventsWithIdAndRetry_FieldsKeptAsEventsWithoutData()
    {
        // WHATWG HTML §9.2.6: an id-only block sets the client's last event ID and dispatches nothing.
        string input = "id: 1\n" + Chunk("{\"content\":\"<think>why\"}")
            + "event: delta\nid: 2\nretry: 3000\n" + Chunk("{\"content\":\" secret\"}")
            + "id:3\r\n" + Chunk("{\"content\":\"</think>\"}").Replace("\n", "\r\n")
            + "id: 4\n" + Chunk("{\"content\":\"Because\"}");
        string expected = "id: 1\n\n" + "id: 2\nretry: 3000\n\n" + "id:3\r\n\r\n" + "id: 4\n" + Chunk("{\"content\":\"Because\"}");
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_DroppedEventWithoutId_NothingWritten()
    {
        string input = "event: delta\n: comment\n" + Chunk("{\"content\":\"<think>why</think>\"}") + Chunk("{\"content\":\"So\"}");
        Assert.Equal(Chunk("{\"content\":\"So\"}"), RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_StripMode_SeparatedReasoningRemovedAndEventDropped()
    {
        string input = Chunk("{\"content\":null,\"reasoning_content\":\"hmm\"}") + Chunk("{\"content\":\"Hi\",\"reasoning_content\":null}");
        Assert.Equal(Chunk("{\"content\":\"Hi\",\"reasoning_content\":null}"), RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_KeepModeWithClientModelName_OnlyModelRenamed()
    {
        string input = Chunk("{\"content\":\"<think>x</think>Hi\"}") + "data: [DONE]\n\n";
        string expected = "data: {\"id\":\"c1\",\"model\":\"my-alias\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>Hi\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions { Mode = ThinkMode.Keep, ClientModelName = "my-alias" }));
    }

    [Fact]
    public void Rewrite_NumbersAndUnicode_KeptAsTheirRawText()
    {
        string input = "data: {\"created\":1.50E+3,\"x\":\"caf\\u00e9 \u00e9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>t</think>\u65e5\u672c \ud83d\ude0a \\\"q\\\"\"}}]}\n\n";
        string expected = "data: {\"created\":1.50E+3,\"x\":\"caf\\u00e9 \u00e9\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\u65e5\u672c \ud83d\ude0a \\\"q\\\"\"}}]}\n\n";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_TrailingEventWithoutBlankLine_StillFiltered()
    {
        string input = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>Hi\"}}]}";
        string expected = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}";
        Assert.Equal(expected, RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_RawHarmonyChannelsSplitAcrossEvents_OnlyTheFinalChannelShown()
    {
        // Raw gpt-oss output as llama.cpp's tests/test-chat-parser.cpp (test_gpt_oss_harmony_format) writes it, cut mid-token.
        string input = Chunk("{\"content\":\"<|channel|>analysis<|mess\"}")
            + Chunk("{\"content\":\"age|>Let me think<|end|><|start|>assistant<|channel|>final\"}")
            + Chunk("{\"content\":\"<|message|>The answer is 42<|end|>\"}");
        Assert.Equal(Chunk("{\"content\":\"The answer is 42\"}"), RunEverySplit(input, new ResponseRewriteOptions()));
        Assert.Equal(Chunk("{\"content\":\"The answer is 42\"}"), RunEverySplit(input, new ResponseRewriteOptions { ThinkTags = "harmony" }));
    }

    [Fact]
    public void Rewrite_MistralTagsInAnswer_StayText()
    {
        string input = Chunk("{\"content\":\"[THINK]plan[/THI\"}") + Chunk("{\"content\":\"NK]Write [THINK]x[/THINK] to think.\"}");
        Assert.Equal(Chunk("{\"content\":\"Write [THINK]x[/THINK] to think.\"}"), RunEverySplit(input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Rewrite_CustomNonAsciiTags_SplitAcrossEvents_Removed()
    {
        var options = new ResponseRewriteOptions { StartTag = "<\u0e04\u0e34\u0e14>", EndTag = "</\u0e04\u0e34\u0e14>", TagsAnywhere = true };
        string input = Chunk("{\"content\":\"\u0e02\u0e49\u0e2d <\u0e04\"}")
            + Chunk("{\"content\":\"\u0e34\u0e14>secret</\u0e04\u0e34\"}")
            + Chunk("{\"content\":\"\u0e14> \u0e21\u0e39\u0e25\"}");
        string expected = Chunk("{\"content\":\"\u0e02\u0e49\u0e2d \"}") + Chunk("{\"content\":\" \u0e21\u0e39\u0e25\"}");
        Assert.Equal(expected, RunEverySplit(input, options));
    }

    [Fact]
    public void TryWriteKeepAlive_InsideHiddenThought_WritesCommentOnlyThen()
    {
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions())!;
        var output = new ArrayBufferWriter<byte>();
        Assert.False(rewriter.TryWriteKeepAlive(output));
        rewriter.Write(Encoding.UTF8.GetBytes(Chunk("{\"content\":\"<think>long\"}")), output);
        Assert.Equal(0, output.WrittenCount);
        Assert.True(rewriter.TryWriteKeepAlive(output));
        Assert.Equal(": thinking\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
        rewriter.Write(Encoding.UTF8.GetBytes(Chunk("{\"content\":\"</think>Hi\"}")), output);
        var after = new ArrayBufferWriter<byte>();
        Assert.False(rewriter.TryWriteKeepAlive(after));
        Assert.Equal(0, after.WrittenCount);
    }

    [Fact]
    public void Write_EventLargerThanLimit_StreamEndsWithErrorEventNamingTheLimit()
    {
        string first = Chunk("{\"content\":\"Hi\"}");
        string input = first + Chunk("{\"content\":\"<think>" + new string('x', 200) + "</think>Hi\"}") + Chunk("{\"content\":\"after\"}");
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions(), maxBufferedBytes: 160)!;
        var output = new ArrayBufferWriter<byte>();
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        rewriter.Write(bytes.AsSpan(0, 150), output);
        rewriter.Write(bytes.AsSpan(150), output);
        rewriter.Complete(output);
        string text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.StartsWith(first + "data: {\"error\":{\"message\":\"", text, StringComparison.Ordinal);
        Assert.EndsWith("\",\"type\":\"upstream_error\",\"code\":\"upstream_event_too_large\"}}\n\n", text, StringComparison.Ordinal);
        Assert.Contains("limit of 160 bytes", text, StringComparison.Ordinal);
        Assert.DoesNotContain("xxx", text, StringComparison.Ordinal);
        Assert.DoesNotContain("after", text, StringComparison.Ordinal);
        Assert.NotNull(rewriter.FailureReason);
    }

    [Fact]
    public void Write_HugeReadWithoutEventEnd_HoldsNoMoreThanTheLimit()
    {
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions(), maxBufferedBytes: 1000)!;
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write("data: {\"choices\":[{\"delta\":{\"content\":\"<think>"u8, output);
        byte[] huge = new byte[1 << 20];
        long before = GC.GetAllocatedBytesForCurrentThread();
        rewriter.Write(huge, output);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes for a 1 MiB read over a 1000-byte limit");
        Assert.Contains("upstream_event_too_large", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    /// <summary>Runs the input whole, split at every byte position, and one byte at a time; all must agree.</summary>
    private static string RunEverySplit(string input, ResponseRewriteOptions options)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        byte[] whole = RewriterHarness.Run(EventStream, options, bytes, 0);
        for (int i = 0; i <= bytes.Length; i++)
        {
            byte[] split = RewriterHarness.RunSplitAt(EventStream, options, bytes, i);
            Assert.True(whole.AsSpan().SequenceEqual(split), $"split at {i}: {Encoding.UTF8.GetString(split)}");
        }

        Assert.Equal(whole, RewriterHarness.Run(EventStream, options, bytes, 1));
        return Encoding.UTF8.GetString(whole);
    }
}
