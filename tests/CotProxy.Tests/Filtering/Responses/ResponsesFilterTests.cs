using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>The Responses API filter on built streams and bodies: tags in output_text, every mode, failing closed.</summary>
public sealed class ResponsesFilterTests
{
    private static readonly string[] s_taggedDeltas = ["<th", "ink>secret ", "plan</think>", "\n\nHello", " world"];

    [Fact]
    public void Strip_TagsInOutputText_ThoughtGoneFromEveryEventAndItsLogprobsWithIt()
    {
        byte[] input = new ResponsesStreamBuilder().Created().Reasoning(["server ", "thought"]).Message(s_taggedDeltas, logprobs: true).Completed()
            .Frame(ResponseFraming.EventStream);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions(), input);

        string text = Encoding.UTF8.GetString(output);
        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("plan", text, StringComparison.Ordinal);
        Assert.DoesNotContain("thought", text, StringComparison.Ordinal);
        Assert.DoesNotContain("think>", text, StringComparison.Ordinal);
        Assert.Equal("Hello world", ResponsesHarness.DeltaText(events)[0]);
        ResponsesHarness.AssertContiguous(events);
        List<JsonElement> deltas = [.. events.Where(e => ResponsesHarness.Type(e) == "response.output_text.delta")];
        // "\n\nHello" lost its margin: its logprobs go; " world" is untouched and keeps its own.
        Assert.Equal(2, deltas.Count);
        Assert.Equal(0, deltas[0].GetProperty("logprobs").GetArrayLength());
        Assert.Equal(1, deltas[1].GetProperty("logprobs").GetArrayLength());
        Assert.Equal("Hello world", events.Single(e => ResponsesHarness.Type(e) == "response.output_text.done").GetProperty("text").GetString());
        Assert.Equal("Hello world", events.Single(e => ResponsesHarness.Type(e) == "response.content_part.done").GetProperty("part").GetProperty("text").GetString());
        JsonElement item = events.Single(e => ResponsesHarness.Type(e) == "response.output_item.done").GetProperty("item");
        Assert.Equal("Hello world", item.GetProperty("content")[0].GetProperty("text").GetString());
        JsonElement completed = events.Single(e => ResponsesHarness.Type(e) == "response.completed").GetProperty("response");
        Assert.Equal("Hello world", completed.GetProperty("output").EnumerateArray().Single().GetProperty("content")[0].GetProperty("text").GetString());
        Assert.DoesNotContain("event: response.reasoning", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<thinking>secret</thinking>Hello")]
    [InlineData("[THINK]secret[/THINK]Hello")]
    [InlineData("<seed:think>secret</seed:think>Hello")]
    public void Strip_TagsOfAnyFamily_RemovedFromOutputText(string raw)
    {
        byte[] input = new ResponsesStreamBuilder().Message([.. raw.Chunk(3).Select(c => new string(c))]).Frame(ResponseFraming.Ndjson);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions(), input);

        Assert.Equal("Hello", ResponsesHarness.DeltaText(ResponsesHarness.Documents(output, ResponseFraming.Ndjson))[0]);
        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
    }

    [Fact]
    public void Strip_TagInsideTheAnswer_IsText()
    {
        byte[] input = new ResponsesStreamBuilder().Message(["Use ", "<think>", " in HTML"]).Frame(ResponseFraming.Ndjson);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions(), input);

        Assert.Equal("Use <think> in HTML", ResponsesHarness.DeltaText(ResponsesHarness.Documents(output, ResponseFraming.Ndjson))[0]);
    }

    [Fact]
    public void Merge_SummaryAndTags_InlineAtTheStartOfTheAnswer()
    {
        byte[] input = new ResponsesStreamBuilder().Created().Reasoning(["server ", "thought"], summary: true).Message(s_taggedDeltas).Completed()
            .Frame(ResponseFraming.EventStream);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Merge }, input);

        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        const string Expected = "<think>server thought</think><think>secret plan</think>Hello world";
        Assert.Equal(Expected, ResponsesHarness.DeltaText(events)[0]);
        Assert.Equal(Expected, events.Single(e => ResponsesHarness.Type(e) == "response.output_text.done").GetProperty("text").GetString());
        JsonElement completed = events.Single(e => ResponsesHarness.Type(e) == "response.completed").GetProperty("response");
        Assert.Equal(Expected, completed.GetProperty("output").EnumerateArray().Single().GetProperty("content")[0].GetProperty("text").GetString());
        ResponsesHarness.AssertContiguous(events);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Split_StreamWithTags_ThoughtStreamsAsAReasoningItemBeforeTheMessage(bool eventLines)
    {
        byte[] input = new ResponsesStreamBuilder().Created().Message(s_taggedDeltas, logprobs: true).Completed().Frame(ResponseFraming.EventStream, eventLines);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input);

        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        Assert.Equal("Hello world", ResponsesHarness.DeltaText(events)[1]);
        Assert.Equal("secret plan", string.Concat(events.Where(e => ResponsesHarness.Type(e) == "response.reasoning_text.delta").Select(e => e.GetProperty("delta").GetString())));
        Assert.Equal("secret plan", events.Single(e => ResponsesHarness.Type(e) == "response.reasoning_text.done").GetProperty("text").GetString());
        JsonElement[] added = [.. events.Where(e => ResponsesHarness.Type(e) == "response.output_item.added").Select(e => e.GetProperty("item"))];
        Assert.Equal("""{"id":"rs_msg_0","type":"reasoning","summary":[],"content":[]}""", added[0].GetRawText());
        Assert.Equal("msg_0", added[1].GetProperty("id").GetString());
        JsonElement[] items = [.. events.Single(e => ResponsesHarness.Type(e) == "response.completed").GetProperty("response").GetProperty("output").EnumerateArray()];
        JsonElement reasoningDone = events.First(e => ResponsesHarness.Type(e) == "response.output_item.done").GetProperty("item");
        Assert.Equal(items[0].GetRawText(), reasoningDone.GetRawText());
        Assert.Equal("""{"id":"rs_msg_0","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"secret plan"}]}""", items[0].GetRawText());
        Assert.Equal("Hello world", items[1].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.DoesNotContain(events.Where(e => ResponsesHarness.Type(e).StartsWith("response.output_text", StringComparison.Ordinal)), e => e.GetRawText().Contains("secret", StringComparison.Ordinal));
        ResponsesHarness.AssertContiguous(events);
        Golden.Verify(Encoding.UTF8.GetString(output), "Responses.Split.tagged_stream" + (eventLines ? "" : "_data_only"));
    }

    [Fact]
    public void Split_StreamWithoutTags_MessageEventsAsTheyCame()
    {
        byte[] input = new ResponsesStreamBuilder().Created().Message(["Hello", " world"], logprobs: true).Completed().Frame(ResponseFraming.EventStream);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input);

        Assert.Equal(Encoding.UTF8.GetString(input), Encoding.UTF8.GetString(output));
    }

    [Fact]
    public void Split_MessageHeldUndecided_KeepAliveGoesOutThenNotOnceTheAnswerShows()
    {
        string framed = Encoding.UTF8.GetString(new ResponsesStreamBuilder().Message(["<th", "Hi"]).Frame(ResponseFraming.EventStream));
        int second = framed.IndexOf("\"delta\":\"Hi\"", StringComparison.Ordinal);
        int cut = framed.LastIndexOf("event: ", second, StringComparison.Ordinal);
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi.Responses)!;
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        rewriter.Write(Encoding.UTF8.GetBytes(framed[..cut]), output);
        Assert.Equal(0, output.WrittenCount);
        Assert.True(rewriter.TryWriteKeepAlive(output));

        output.ResetWrittenCount();
        rewriter.Write(Encoding.UTF8.GetBytes(framed[cut..]), output);
        Assert.Contains("\"delta\":\"<thHi\"", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        Assert.False(rewriter.TryWriteKeepAlive(output));
    }

    [Fact]
    public void Split_NdjsonStreamWithTags_ReasoningItemAsJsonLines()
    {
        byte[] input = new ResponsesStreamBuilder().Created().Reasoning(["server"]).Message(s_taggedDeltas).Completed().Frame(ResponseFraming.Ndjson);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input);

        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.Ndjson);
        Assert.Equal("Hello world", ResponsesHarness.DeltaText(events)[2]);
        Assert.Equal(["server", "secret plan"], events.Where(e => ResponsesHarness.Type(e) == "response.reasoning_text.done").Select(e => e.GetProperty("text").GetString()));
        Assert.Equal(["rs_0", "rs_msg_1", "msg_1"], events.Where(e => ResponsesHarness.Type(e) == "response.output_item.added").Select(e => e.GetProperty("item").GetProperty("id").GetString()));
        ResponsesHarness.AssertContiguous(events);
    }

    [Fact]
    public void Split_ThoughtNeverClosed_ReasoningItemEndsBeforeTheTextsDone()
    {
        byte[] input = new ResponsesStreamBuilder().Created().Message(["<think>still ", "going"]).Completed().Frame(ResponseFraming.EventStream);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input);

        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.reasoning_text.delta", "response.reasoning_text.delta", "response.reasoning_text.done", "response.output_item.done",
                "response.output_item.added", "response.content_part.added", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            events.Select(ResponsesHarness.Type));
        Assert.Equal("still going", events.Single(e => ResponsesHarness.Type(e) == "response.reasoning_text.done").GetProperty("text").GetString());
        Assert.Equal("", events.Single(e => ResponsesHarness.Type(e) == "response.output_text.done").GetProperty("text").GetString());
        ResponsesHarness.AssertContiguous(events);
    }

    [Theory]
    [InlineData("Strip", """[{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Answer"}],"role":"assistant"}]""")]
    [InlineData("Split", """[{"id":"rs_0","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"server"}]},{"id":"rs_msg_1","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"tagged"}]},{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Answer"}],"role":"assistant"}]""")]
    [InlineData("Merge", """[{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"<think>server</think><think>tagged</think>Answer"}],"role":"assistant"}]""")]
    [InlineData("Keep", """[{"id":"rs_0","type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"server"}]},{"id":"msg_1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"<think>tagged</think>\n\nAnswer"}],"role":"assistant"}]""")]
    public void Body_EveryMode_OutputAsTheModeSays(string mode, string expectedOutput)
    {
        string body = new ResponsesStreamBuilder().Reasoning(["server"]).Message(["<think>tagged</think>\n\nAnswer"]).Body();

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.JsonBody, new ResponseRewriteOptions { Mode = Enum.Parse<ThinkMode>(mode), ClientModelName = "alias" }, Encoding.UTF8.GetBytes(body));

        using JsonDocument document = JsonDocument.Parse(output);
        Assert.Equal(expectedOutput, document.RootElement.GetProperty("output").GetRawText());
        Assert.Equal("alias", document.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Strip_UnreadableEventInsideAReasoningItem_DroppedAndCounted()
    {
        var builder = new ResponsesStreamBuilder().Created().Reasoning(["a"]);
        byte[] head = builder.Frame(ResponseFraming.EventStream, eventLines: false);
        // An event cut in a multi-byte character, then one with bytes that are not UTF-8.
        byte[] input = [.. head, .. "data: {\"type\":\"response.reasoning_text.delta\",\"sequence_number\":99,\"output_index\":0,\"delta\":\"secret "u8, 0xE2, 0x82, .. "\"}\n\n"u8];

        byte[] output = ResponsesHarness.Run(ResponseFraming.EventStream, new ResponseRewriteOptions(), input, 0, out int dropped);

        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
        Assert.Equal(1, dropped);
    }

    [Fact]
    public void Strip_UnknownEventOutsideReasoning_PassesAsItsOwnBytes()
    {
        const string Unknown = """{"type":"response.future_thing","sequence_number":2,"note":"<b>bold</b>"}""";
        byte[] input = new ResponsesStreamBuilder().Created().Raw(Unknown).Frame(ResponseFraming.Ndjson);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions(), input);

        Assert.Equal(Encoding.UTF8.GetString(input), Encoding.UTF8.GetString(output));
    }

    [Fact]
    public void Strip_UnknownEventOfAHiddenItem_Dropped()
    {
        var builder = new ResponsesStreamBuilder().Created();
        builder.Raw("""{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_x","type":"reasoning","summary":[]}}""");
        builder.Raw("""{"type":"response.reasoning_future.delta2","sequence_number":3,"output_index":0,"secret":"plan"}""");
        builder.Raw("""{"type":"response.future_thing","sequence_number":4,"item_id":"rs_x","secret":"plan"}""");

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions(), builder.Frame(ResponseFraming.Ndjson));

        Assert.DoesNotContain("plan", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
        ResponsesHarness.AssertContiguous(ResponsesHarness.Documents(output, ResponseFraming.Ndjson));
    }

    [Fact]
    public void Strip_AnswerDeltasAfterAHiddenItem_SplicedNumbersOnlyNoRewrite()
    {
        byte[] input = new ResponsesStreamBuilder().Reasoning(["t"]).Message(["Hello", " there", " friend"]).Frame(ResponseFraming.Ndjson);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions(), input);

        string[] lines = Encoding.UTF8.GetString(output).Split('\n');
        Assert.Contains("""{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":" there","logprobs":[]}""", lines);
    }

    [Fact]
    public void Strip_BodyWithEscapedItemType_ReasoningItemStillRemoved()
    {
        const string Body = """{"id":"r","object":"response","output":[{"id":"rs","type":"reason\u0069ng","summary":[{"type":"summary_text","text":"secret"}]},{"id":"m","type":"message","content":[{"type":"output_text","text":"Hi"}]}]}""";

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.JsonBody, new ResponseRewriteOptions(), Encoding.UTF8.GetBytes(Body));

        Assert.Equal("""{"id":"r","object":"response","output":[{"id":"m","type":"message","content":[{"type":"output_text","text":"Hi"}]}]}""", Encoding.UTF8.GetString(output));
    }
}
