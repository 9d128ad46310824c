using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>The Responses API filter's steady state: answer deltas allocate nothing, on the fast path and when spliced.</summary>
public sealed class ResponsesAllocationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Strip_SteadyAnswerDeltas_AllocateNothingAndTakeTheFastPath(bool afterReasoningItem)
    {
        var builder = new ResponsesStreamBuilder();
        if (afterReasoningItem)
        {
            builder.Reasoning(["thought"]);
        }

        string index = afterReasoningItem ? "1" : "0";
        byte[] opening = builder.Message(["<think>x</think>The"]).Frame(ResponseFraming.EventStream);
        byte[] answer = Encoding.UTF8.GetBytes("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":50,\"item_id\":\"msg_" + index + "\",\"output_index\":" + index + ",\"content_index\":0,\"delta\":\" blue sky\",\"logprobs\":[]}\n\n");
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions(), ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi.Responses)!;
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
        rewriter.Write(answer, output);
        string expected = Encoding.UTF8.GetString(answer);
        // After a removed reasoning item (6 numbered events) the same bytes carry the client's numbers.
        Assert.Equal(afterReasoningItem ? expected.Replace("\"sequence_number\":50", "\"sequence_number\":44", StringComparison.Ordinal).Replace("\"output_index\":1", "\"output_index\":0", StringComparison.Ordinal) : expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Split_ThoughtDeltasThenSteadyAnswerDeltas_AllocateNothingAnswerOnTheFastPath()
    {
        byte[] opening = new ResponsesStreamBuilder().Message(["<think>x"]).Frame(ResponseFraming.EventStream);
        // The builder's done events come last: keep only the events before the text's done.
        string framed = Encoding.UTF8.GetString(opening);
        opening = Encoding.UTF8.GetBytes(framed[..framed.IndexOf("event: response.output_text.done", StringComparison.Ordinal)]);
        byte[] thought = Encoding.UTF8.GetBytes("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"item_id\":\"msg_0\",\"output_index\":0,\"content_index\":0,\"delta\":\" more thought\",\"logprobs\":[]}\n\n");
        byte[] close = Encoding.UTF8.GetBytes("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":3,\"item_id\":\"msg_0\",\"output_index\":0,\"content_index\":0,\"delta\":\"</think>The\",\"logprobs\":[]}\n\n");
        byte[] answer = Encoding.UTF8.GetBytes("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":50,\"item_id\":\"msg_0\",\"output_index\":0,\"content_index\":0,\"delta\":\" blue sky\",\"logprobs\":[]}\n\n");
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi.Responses)!;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        rewriter.Write(opening, output);
        // The thought sent is kept for its done event (as long as the upstream's own done text): its buffer doubles now
        // and then, so the measured deltas are ones where no doubling falls (170 × 13 bytes past 2 KiB, 20 more within 4).
        for (int i = 0; i < 170; i++)
        {
            rewriter.Write(thought, output);
        }

        Assert.EndsWith("event: response.reasoning_text.delta\ndata: {\"type\":\"response.reasoning_text.delta\",\"item_id\":\"rs_msg_0\",\"output_index\":0,\"content_index\":0,\"delta\":\" more thought\",\"sequence_number\":2}\n\n", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            rewriter.Write(thought, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        rewriter.Write(close, output);
        for (int i = 0; i < 100; i++)
        {
            rewriter.Write(answer, output);
        }

        output.ResetWrittenCount();
        long passes = rewriter.ProbePasses;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rewriter.Write(answer, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(passes + 1000, rewriter.ProbePasses);
        rewriter.Write(answer, output);
        // The reasoning item took output_index 0: the message's deltas say 1.
        Assert.Contains("\"output_index\":1,", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_LiveReasoningDeltasThenAnswerDeltas_AllocateNothingAnswerOnTheFastPath()
    {
        byte[] opening = Encoding.UTF8.GetBytes("data: {\"type\":\"response.output_item.added\",\"sequence_number\":0,\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}}\n\n");
        byte[] thought = Encoding.UTF8.GetBytes("data: {\"type\":\"response.reasoning_text.delta\",\"sequence_number\":1,\"item_id\":\"rs_1\",\"output_index\":0,\"content_index\":0,\"delta\":\" more thought\"}\n\n");
        byte[] message = Encoding.UTF8.GetBytes(
            "data: {\"type\":\"response.output_item.done\",\"sequence_number\":2,\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}}\n\n"
            + "data: {\"type\":\"response.output_item.added\",\"sequence_number\":3,\"output_index\":1,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}}\n\n"
            + "data: {\"type\":\"response.content_part.added\",\"sequence_number\":4,\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":\"\"}}\n\n");
        byte[] answer = Encoding.UTF8.GetBytes("data: {\"type\":\"response.output_text.delta\",\"sequence_number\":50,\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\" blue sky\",\"logprobs\":[]}\n\n");
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Merge }, ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi.Responses)!;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        rewriter.Write(opening, output);
        // The reasoning sent is kept for the message's done events: its buffer doubles now and then, so the measured
        // deltas are ones where no doubling falls (170 × 13 bytes past 2 KiB, 20 more within 4).
        for (int i = 0; i < 170; i++)
        {
            rewriter.Write(thought, output);
        }

        Assert.StartsWith("event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"msg_rs_1\",\"type\":\"message\"", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        Assert.EndsWith("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_rs_1\",\"output_index\":0,\"content_index\":0,\"delta\":\" more thought\",\"logprobs\":[],\"sequence_number\":2}\n\n", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            rewriter.Write(thought, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        rewriter.Write(message, output);
        Assert.Equal(0, output.WrittenCount);
        for (int i = 0; i < 100; i++)
        {
            rewriter.Write(answer, output);
        }

        Assert.Contains("\"delta\":\"</think> blue sky\"", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
        output.ResetWrittenCount();
        long passes = rewriter.ProbePasses;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rewriter.Write(answer, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(passes + 1000, rewriter.ProbePasses);
        rewriter.Write(answer, output);
        // The upstream message took the made-up one's id and output_index.
        Assert.Contains("\"item_id\":\"msg_rs_1\",\"output_index\":0,", Encoding.UTF8.GetString(output.WrittenSpan), StringComparison.Ordinal);
    }

    [Fact]
    public void Strip_ReasoningDeltasOfAnOpenItem_DroppedWithoutAllocating()
    {
        byte[] opening = Encoding.UTF8.GetBytes("data: {\"type\":\"response.output_item.added\",\"sequence_number\":0,\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}}\n\n");
        byte[] thought = Encoding.UTF8.GetBytes("data: {\"type\":\"response.reasoning_text.delta\",\"sequence_number\":1,\"item_id\":\"rs_1\",\"output_index\":0,\"content_index\":0,\"delta\":\" weighing <b> options \\u00e9\"}\n\n");
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions(), ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi.Responses)!;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        rewriter.Write(opening, output);
        for (int i = 0; i < 100; i++)
        {
            rewriter.Write(thought, output);
        }

        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rewriter.Write(thought, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, output.WrittenCount);
        Assert.True(rewriter.TryWriteKeepAlive(output), "inside a reasoning item the stream is in hidden thought");
    }
}
