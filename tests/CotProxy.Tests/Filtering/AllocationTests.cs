using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class AllocationTests
{
    [Fact]
    public void SseRewriter_SteadyState_AllocatesNothingPerEvent()
    {
        byte[] thought = Encoding.UTF8.GetBytes("data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\u003cthink\\u003e some thought \\u00e9\\u003c/think\\u003e\"},\"finish_reason\":null}]}\n\n");
        byte[] answer = Encoding.UTF8.GetBytes("data: {\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer <b> text\",\"reasoning_content\":\"r\"},\"finish_reason\":null}]}\n\n");
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions { ClientModelName = "alias" })!;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        for (int i = 0; i < 100; i++)
        {
            Feed(rewriter, thought, answer, output);
        }

        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Feed(rewriter, thought, answer, output);
            output.ResetWrittenCount();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SseRewriter_LogprobsOfStraddlingEvents_AllocatesNothingPerEvent()
    {
        // Strip mode: each event's visible tokens are found and the others' entries left out.
        byte[] thought = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x\"},\"logprobs\":{\"content\":[{\"token\":\"<think>\",\"logprob\":-1},{\"token\":\"x\",\"logprob\":-2}]},\"finish_reason\":null}]}\n\n");
        byte[] answer = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"y</think>Hi\",\"reasoning_content\":\"r\"},\"logprobs\":{\"content\":[{\"token\":\"r\",\"logprob\":-1},{\"token\":\"y</think>\",\"logprob\":-1},{\"token\":\"Hi\",\"logprob\":-2}]},\"finish_reason\":null}]}\n\n");
        AssertFeedingAllocatesNothing(new ResponseRewriteOptions { TagsAnywhere = true }, thought, answer);
    }

    [Fact]
    public void SseRewriter_MergeModeSeparatedReasoning_AllocatesNothingPerEvent()
    {
        byte[] thought = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null,\"reasoning_content\":\"some \\u00e9 thought\"},\"finish_reason\":null}]}\n\n");
        byte[] answer = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"},\"finish_reason\":null}]}\n\n");
        AssertFeedingAllocatesNothing(new ResponseRewriteOptions { Mode = ThinkMode.Merge }, thought, answer);
    }

    private static void AssertFeedingAllocatesNothing(ResponseRewriteOptions options, byte[] thought, byte[] answer)
    {
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, options)!;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        for (int i = 0; i < 100; i++)
        {
            Feed(rewriter, thought, answer, output);
        }

        output.ResetWrittenCount();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Feed(rewriter, thought, answer, output);
            output.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SseRewriter_FastPathAnswerEvents_AllocateNothingAndPassAsTheyCame(bool alias)
    {
        byte[] opening = Encoding.UTF8.GetBytes("data: {\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"<think>x</think>The\"},\"finish_reason\":null}]}\n\n");
        byte[] answer = Encoding.UTF8.GetBytes("data: {\"id\":\"chatcmpl-3Jd9WmQk1xY7bV0aZrT5uE8o\",\"object\":\"chat.completion.chunk\",\"created\":1761385200,\"model\":\"m\",\"system_fingerprint\":\"b6224\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" blue\\n\"},\"finish_reason\":null}]}\n\n");
        var options = alias ? new ResponseRewriteOptions { ClientModelName = "alias" } : new ResponseRewriteOptions();
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, options)!;
        var output = new ArrayBufferWriter<byte>(1 << 20);
        AssertFastPathAllocatesNothing(rewriter, opening, answer, output);
        rewriter.Write(answer, output);
        string expected = Encoding.UTF8.GetString(answer);
        Assert.Equal(alias ? expected.Replace("\"model\":\"m\"", "\"model\":\"alias\"", StringComparison.Ordinal) : expected, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void NdjsonRewriter_FastPathAnswerLines_AllocateNothing()
    {
        byte[] opening = Encoding.UTF8.GetBytes("{\"model\":\"q\",\"message\":{\"role\":\"assistant\",\"content\":\"\\u003cthink\\u003ex\\u003c/think\\u003eThe\"},\"done\":false}\n");
        byte[] answer = Encoding.UTF8.GetBytes("{\"model\":\"q\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\" blue\"},\"done\":false}\n");
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.Ndjson, new ResponseRewriteOptions())!;
        AssertFastPathAllocatesNothing(rewriter, opening, answer, new ArrayBufferWriter<byte>(1 << 20));
    }

    /// <summary>After the opening and a warm-up, 1000 more answer events all take the fast path and allocate nothing.</summary>
    private static void AssertFastPathAllocatesNothing(FramedDocumentRewriter rewriter, byte[] opening, byte[] answer, ArrayBufferWriter<byte> output)
    {
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
        Assert.Equal(1000, rewriter.ProbePasses - passes);
    }

    private static void Feed(IResponseRewriter rewriter, byte[] thought, byte[] answer, ArrayBufferWriter<byte> output)
    {
        // Split inside events so that the carry-over path runs too.
        rewriter.Write(thought.AsSpan(0, 40), output);
        rewriter.Write(thought.AsSpan(40), output);
        rewriter.Write(answer, output);
    }
}
