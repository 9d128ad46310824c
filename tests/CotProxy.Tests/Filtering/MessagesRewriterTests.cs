using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// Anthropic's Messages API (/v1/messages) through the filter, streams and whole bodies, in every mode. No recording of
/// a real server exists in Fixtures: the cases are the published examples of Anthropic's docs ("Streaming messages":
/// https://docs.anthropic.com/en/docs/build-with-claude/streaming, its "Streaming request with thinking" example, and
/// "Extended thinking": https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking), cut where noted.
/// </summary>
public sealed class MessagesRewriterTests
{
    /// <summary>The "Streaming request with thinking" example of Anthropic's streaming docs (thinking text shortened, signature cut).</summary>
    internal const string DocsThinkingStream =
        "event: message_start\n" +
        "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01...\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-3-7-sonnet-20250219\", \"stop_reason\": null, \"stop_sequence\": null}}\n\n" +
        "event: content_block_start\n" +
        "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"thinking\", \"thinking\": \"\"}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\", \"thinking\": \"Let me solve this step by step:\\n\\n1. First break down 27 * 453\"}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\", \"thinking\": \"\\n2. 453 = 400 + 50 + 3\"}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"signature_delta\", \"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...\"}}\n\n" +
        "event: content_block_stop\n" +
        "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n" +
        "event: content_block_start\n" +
        "data: {\"type\": \"content_block_start\", \"index\": 1, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": \"text_delta\", \"text\": \"27 * 453 = 12,231\"}}\n\n" +
        "event: content_block_stop\n" +
        "data: {\"type\": \"content_block_stop\", \"index\": 1}\n\n" +
        "event: message_delta\n" +
        "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null}}\n\n" +
        "event: message_stop\n" +
        "data: {\"type\": \"message_stop\"}\n\n";

    /// <summary>The response of the "Extended thinking" docs' redacted-thinking example: thinking, redacted_thinking, text (data cut).</summary>
    internal const string DocsThinkingBody =
        "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-7-sonnet-20250219\",\"content\":[" +
        "{\"type\":\"thinking\",\"thinking\":\"Let me analyze this step by step...\",\"signature\":\"WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL....\"}," +
        "{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oLs9yTcMnKVf2wRpEGjH9XZaBt4UvDcPrQ...\"}," +
        "{\"type\":\"text\",\"text\":\"Based on my analysis...\"}]," +
        "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":20}}";

    private const string StrippedDocsStream =
        "event: message_start\n" +
        "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01...\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-3-7-sonnet-20250219\", \"stop_reason\": null, \"stop_sequence\": null}}\n\n" +
        "event: content_block_start\n" +
        "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n" +
        "event: content_block_delta\n" +
        "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"27 * 453 = 12,231\"}}\n\n" +
        "event: content_block_stop\n" +
        "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n" +
        "event: message_delta\n" +
        "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null}}\n\n" +
        "event: message_stop\n" +
        "data: {\"type\": \"message_stop\"}\n\n";

    [Fact]
    public void Stream_DocsThinkingExampleStrip_ThinkingBlockGoneTextIndexZero()
    {
        AssertEveryCut(DocsThinkingStream, Strip, StrippedDocsStream);
    }

    [Fact]
    public void Stream_DocsThinkingExampleSplit_Unchanged()
    {
        // Anthropic's own separation is a thinking block: split keeps it as it came.
        AssertEveryCut(DocsThinkingStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, DocsThinkingStream);
    }

    [Fact]
    public void Stream_DocsThinkingExampleMerge_ThinkingInlineAtTheStartOfTheText()
    {
        string expected =
            "event: message_start\n" +
            "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01...\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-3-7-sonnet-20250219\", \"stop_reason\": null, \"stop_sequence\": null}}\n\n" +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"<think>\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Let me solve this step by step:\\n\\n1. First break down 27 * 453\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\n2. 453 = 400 + 50 + 3\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"</think>\"}}") +
            Event("content_block_delta", "{\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \"27 * 453 = 12,231\"}}") +
            Event("content_block_stop", "{\"type\": \"content_block_stop\", \"index\": 0}") +
            "event: message_delta\n" +
            "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null}}\n\n" +
            "event: message_stop\n" +
            "data: {\"type\": \"message_stop\"}\n\n";

        AssertEveryCut(DocsThinkingStream, new ResponseRewriteOptions { Mode = ThinkMode.Merge }, expected);
    }

    [Fact]
    public void Stream_KeepWithAlias_OnlyTheModelRenamed()
    {
        string expected = DocsThinkingStream.Replace("event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01...\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-3-7-sonnet-20250219\"", "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_01...\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"alias\"", StringComparison.Ordinal);

        AssertEveryCut(DocsThinkingStream, new ResponseRewriteOptions { Mode = ThinkMode.Keep, ClientModelName = "alias" }, expected);
    }

    /// <summary>
    /// The docs' "Extended thinking with tool use" turn: a thinking block, then a tool_use block with no text between
    /// (Extended thinking docs, "Extended thinking with tool use"; input shortened).
    /// </summary>
    private static readonly string s_thinkingThenTool =
        Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}") +
        Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"I need the weather tool.\"}}") +
        Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"BDaL4VrbR2Oj0hO4XpJxT28J5TILnCrrUXoKiiNBZW9P+nr8XSj1zuZzAl4egiCCpQNvfyUuFFJP5CncdYZEQPPmLxYsNrcs...\"}}") +
        Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
        Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01CswdEQBMshySk6Y9DFKrfq\",\"name\":\"get_weather\",\"input\":{}}}") +
        Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\": \\\"Paris\\\"}\"}}") +
        Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}") +
        Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null}}") +
        Event("message_stop", "{\"type\":\"message_stop\"}");

    [Fact]
    public void Stream_ThinkingThenToolUseStrip_ToolUseBecomesIndexZero()
    {
        string expected =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01CswdEQBMshySk6Y9DFKrfq\",\"name\":\"get_weather\",\"input\":{}}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\": \\\"Paris\\\"}\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null}}") +
            Event("message_stop", "{\"type\":\"message_stop\"}");

        AssertEveryCut(s_thinkingThenTool, Strip, expected);
    }

    [Fact]
    public void Stream_ThinkingThenToolUseMerge_ThinkingClosedAsItsOwnTextBlockBeforeTheTool()
    {
        string expected =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"<think>\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"I need the weather tool.\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"</think>\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01CswdEQBMshySk6Y9DFKrfq\",\"name\":\"get_weather\",\"input\":{}}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\": \\\"Paris\\\"}\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}") +
            Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null}}") +
            Event("message_stop", "{\"type\":\"message_stop\"}");

        AssertEveryCut(s_thinkingThenTool, new ResponseRewriteOptions { Mode = ThinkMode.Merge }, expected);
    }

    [Fact]
    public void Stream_RedactedThinkingStrip_BlockGoneLaterIndexShifted()
    {
        // Extended thinking docs, "Thinking redaction": a redacted_thinking block arrives whole in its start event.
        string input =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB9URj2pLmN3kF8/dW5hR7xJ0aP1oLs9yTcMnKVf2wRpEGjH9XZaBt4UvDcPrQ...\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}");
        string expected =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");

        AssertEveryCut(input, Strip, expected);
        AssertEveryCut(input, new ResponseRewriteOptions { Mode = ThinkMode.Merge }, expected);
    }

    /// <summary>A server that passes a model's tags through as text (llama.cpp with reasoning-format none), in Messages words.</summary>
    private static readonly string s_taggedText =
        Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
        Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"<thi\"}}") +
        Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"nk>secret plan</think>\\n\\nThe\"}}") +
        Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" answer.\"}}") +
        Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
        Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}") +
        Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}");

    [Fact]
    public void Stream_TagsInTextStrip_ThoughtRemovedFromTextDeltas()
    {
        string expected =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"The\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" answer.\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}");

        Assert.Equal(expected, Run(s_taggedText, Strip, -1));
        Assert.Equal(VisibleText(expected), VisibleText(Run(s_taggedText, Strip, 1)));
    }

    [Fact]
    public void Stream_TagsInTextSplit_ThoughtBecomesAThinkingBlockLaterIndicesUp()
    {
        string expected =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"secret plan\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"The\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\" answer.\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}") +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":2}");

        Assert.Equal(expected, Run(s_taggedText, new ResponseRewriteOptions { Mode = ThinkMode.Split }, -1));
    }

    [Fact]
    public void Stream_TextAllThoughtStrip_EmptyTextBlockStays()
    {
        string input =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"<think>only thought</think>\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        string expected =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");

        AssertEveryCut(input, Strip, expected);
    }

    [Fact]
    public void Stream_UnreadableEventInThinkingBlock_DroppedAndCounted()
    {
        string input =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"zqmark") +
            Event("mystery", "{\"type\":\"mystery\",\"thinking\":\"zqmark\"}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("mystery", "{\"type\":\"mystery\",\"note\":\"outside\"}");
        using var rewriter = Create(Strip);
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(Encoding.UTF8.GetBytes(input), output);
        rewriter.Complete(output);

        Assert.Equal(Event("mystery", "{\"type\":\"mystery\",\"note\":\"outside\"}"), Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(2, rewriter.DroppedEvents);
    }

    [Fact]
    public void Stream_DeltaOfABlockNeverStarted_DroppedAndCounted()
    {
        string input = Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"zqmark\"}}");
        using var rewriter = Create(Strip);
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(Encoding.UTF8.GetBytes(input), output);
        rewriter.Complete(output);

        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(1, rewriter.DroppedEvents);
    }

    [Fact]
    public void Stream_IdOfARewrittenEvent_KeptOnTheLastEventWritten()
    {
        string input =
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            "event: content_block_start\nid: 7\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
        string expected = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\nid: 7\n\n";

        Assert.Equal(expected, Run(input, Strip, -1));
    }

    [Fact]
    public void Stream_AnswerEvents_FastPathAllocatesNothing()
    {
        byte[] opening = Encoding.UTF8.GetBytes(
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"The\"}}"));
        byte[] answer = Encoding.UTF8.GetBytes(Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" answer goes on\"}}"));
        using var rewriter = (FramedDocumentRewriter)Create(Strip);
        var output = new ArrayBufferWriter<byte>(1 << 20);
        rewriter.Write(opening, output);
        for (int i = 0; i < 100; i++)
        {
            rewriter.Write(answer, output);
        }

        output.ResetWrittenCount();
        long passes = rewriter.ProbePasses;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rewriter.Write(answer, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(passes + 1000, rewriter.ProbePasses);
    }

    [Fact]
    public void Stream_ShiftedIndexSteadyState_AllocatesNothing()
    {
        byte[] opening = Encoding.UTF8.GetBytes(
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}") +
            Event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}") +
            Event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}") +
            Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"The\"}}"));
        byte[] answer = Encoding.UTF8.GetBytes(Event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\" <b>answer</b> \\u00e9\"}}"));
        using IResponseRewriter rewriter = Create(Strip);
        var output = new ArrayBufferWriter<byte>(1 << 20);
        rewriter.Write(opening, output);
        for (int i = 0; i < 100; i++)
        {
            rewriter.Write(answer, output);
        }

        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rewriter.Write(answer, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Body_DocsExampleStrip_OnlyTheTextBlock()
    {
        string expected = "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-7-sonnet-20250219\",\"content\":[" +
            "{\"type\":\"text\",\"text\":\"Based on my analysis...\"}]," +
            "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":20}}";

        Assert.Equal(expected, RunBody(DocsThinkingBody, Strip));
    }

    [Fact]
    public void Body_DocsExampleSplit_Unchanged()
    {
        Assert.Equal(DocsThinkingBody, RunBody(DocsThinkingBody, new ResponseRewriteOptions { Mode = ThinkMode.Split }));
    }

    [Fact]
    public void Body_DocsExampleMerge_ThinkingInlineRedactedGone()
    {
        string expected = "{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-7-sonnet-20250219\",\"content\":[" +
            "{\"type\":\"text\",\"text\":\"<think>Let me analyze this step by step...</think>Based on my analysis...\"}]," +
            "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":20}}";

        Assert.Equal(expected, RunBody(DocsThinkingBody, new ResponseRewriteOptions { Mode = ThinkMode.Merge }));
    }

    [Fact]
    public void Body_MergeWithCustomTags_StillThinkTags()
    {
        // Custom tags say how the model marks its thought; merge writes one spelling for the client, <think>…</think>.
        string result = RunBody(DocsThinkingBody, new ResponseRewriteOptions { Mode = ThinkMode.Merge, StartTag = "<reasoning>", EndTag = "</reasoning>" });

        Assert.Contains("\"text\":\"<think>Let me analyze this step by step...</think>Based on my analysis...\"", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_TagsInTextSplit_ThinkingBlockBeforeTheText()
    {
        string body = "{\"type\":\"message\",\"model\":\"qwen3\",\"content\":[{\"type\":\"text\",\"text\":\"<think>\\nplan\\n</think>\\n\\nHello\"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}]}";
        string expected = "{\"type\":\"message\",\"model\":\"alias\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"plan\",\"signature\":\"\"},{\"type\":\"text\",\"text\":\"Hello\"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}]}";

        Assert.Equal(expected, RunBody(body, new ResponseRewriteOptions { Mode = ThinkMode.Split, ClientModelName = "alias" }));
    }

    [Theory]
    [InlineData("<thinking>plan</thinking>Hello")]
    [InlineData("[THINK]plan[/THINK]Hello")]
    [InlineData("<seed:think>plan</seed:think>Hello")]
    public void Body_TagsOfAnyFamilyInTextStrip_Removed(string text)
    {
        string body = "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}]}";

        Assert.Equal("{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]}", RunBody(body, Strip));
    }

    [Fact]
    public void Body_ThinkingBeforeToolUseMerge_OwnTextBlock()
    {
        string body = "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"use f\",\"signature\":\"s\"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}]}";
        string expected = "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"<think>use f</think>\"},{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}]}";

        Assert.Equal(expected, RunBody(body, new ResponseRewriteOptions { Mode = ThinkMode.Merge }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Body_UnlabelledOrMislabelled_StillStripped(bool labelledText)
    {
        ResponseFraming? label = labelledText ? ResponseFraming.Text : null;
        // Without a label a one-line JSON body is read as JSON lines: its one document is a whole message, not an event.
        using var rewriter = new SniffingResponseRewriter(label, Strip, api: ResponseApi.Messages);
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(Encoding.UTF8.GetBytes(DocsThinkingBody + "\n"), output);
        rewriter.Complete(output);
        string result = Encoding.UTF8.GetString(output.WrittenSpan);

        Assert.DoesNotContain("Let me analyze", result, StringComparison.Ordinal);
        Assert.DoesNotContain("redacted_thinking", result, StringComparison.Ordinal);
        Assert.Contains("\"text\":\"Based on my analysis...\"", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Body_InvalidUtf8InThinking_FailsClosed()
    {
        byte[] body = [.. "{\"type\":\"message\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"zqmark "u8, 0xC3, .. "\"}]}"u8];
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.JsonBody, Strip, api: ResponseApi.Messages)!;
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(body, output);
        rewriter.Complete(output);

        Assert.Equal(0, output.WrittenCount);
        Assert.NotNull(rewriter.FailureReason);
    }

    private static ResponseRewriteOptions Strip => new() { Mode = ThinkMode.Strip };

    internal static string Event(string name, string data) => $"event: {name}\ndata: {data}\n\n";

    private static IResponseRewriter Create(ResponseRewriteOptions options) =>
        ResponseRewriterFactory.Create(ResponseFraming.EventStream, options, api: ResponseApi.Messages)!;

    /// <summary>Output is the same whole, one byte at a time, and cut at every position.</summary>
    private static void AssertEveryCut(string input, ResponseRewriteOptions options, string expected)
    {
        Assert.Equal(expected, Run(input, options, -1));
        Assert.Equal(expected, Run(input, options, 1));
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            using IResponseRewriter rewriter = Create(options);
            var output = new ArrayBufferWriter<byte>();
            rewriter.Write(bytes.AsSpan(0, cut), output);
            rewriter.Write(bytes.AsSpan(cut), output);
            rewriter.Complete(output);
            Assert.Equal(expected, Encoding.UTF8.GetString(output.WrittenSpan));
        }
    }

    internal static string Run(string input, ResponseRewriteOptions options, int chunk)
    {
        using IResponseRewriter rewriter = Create(options);
        var output = new ArrayBufferWriter<byte>();
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        int size = chunk <= 0 ? bytes.Length : chunk;
        for (int offset = 0; offset < bytes.Length; offset += size)
        {
            rewriter.Write(bytes.AsSpan(offset, Math.Min(size, bytes.Length - offset)), output);
        }

        rewriter.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string RunBody(string body, ResponseRewriteOptions options)
    {
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.JsonBody, options, api: ResponseApi.Messages)!;
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(Encoding.UTF8.GetBytes(body), output);
        rewriter.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The text deltas' text, in order.</summary>
    private static string VisibleText(string sse)
    {
        var text = new StringBuilder();
        foreach (string data in RewriterHarness.SseData(sse))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(data);
            if (doc.RootElement.TryGetProperty("delta", out var delta) && delta.TryGetProperty("text", out var t))
            {
                text.Append(t.GetString());
            }
        }

        return text.ToString();
    }
}
