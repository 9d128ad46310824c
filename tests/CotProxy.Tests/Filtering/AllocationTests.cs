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

    private static void Feed(IResponseRewriter rewriter, byte[] thought, byte[] answer, ArrayBufferWriter<byte> output)
    {
        // Split inside events so that the carry-over path runs too.
        rewriter.Write(thought.AsSpan(0, 40), output);
        rewriter.Write(thought.AsSpan(40), output);
        rewriter.Write(answer, output);
    }
}
