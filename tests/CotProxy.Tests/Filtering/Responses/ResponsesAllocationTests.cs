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
