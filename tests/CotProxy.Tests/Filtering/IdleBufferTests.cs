using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>A stream that gives its buffers back whenever the upstream goes quiet must filter exactly as one that keeps them.</summary>
public sealed class IdleBufferTests
{
    [Theory]
    [InlineData("EventStream", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<thi\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"nk>secret</think>An\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"swer\"}}]}\n\ndata: [DONE]\n\n")]
    [InlineData("Ndjson", "{\"message\":{\"content\":\"<think>secret\"}}\n{\"message\":{\"content\":\"</think>Answer\"},\"done\":true}\n")]
    [InlineData("JsonBody", "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>secret</think>Answer\"}}]}")]
    public void ReleaseIdleBuffers_BetweenEveryRead_SameOutput(string framingName, string body)
    {
        var framing = Enum.Parse<ResponseFraming>(framingName);
        var bytes = Encoding.UTF8.GetBytes(body);
        foreach (var mode in new[] { ThinkMode.Strip, ThinkMode.Split, ThinkMode.Merge })
        {
            var options = new ResponseRewriteOptions { Mode = mode };
            for (var piece = 1; piece <= bytes.Length; piece += 7)
            {
                Assert.Equal(Run(framing, options, bytes, piece, release: false), Run(framing, options, bytes, piece, release: true));
            }
        }
    }

    [Theory]
    [InlineData("EventStream", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>secret\"}}]}\n\n")]
    [InlineData("EventStream", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>An\"}}]}\n\n")]
    [InlineData("EventStream", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"}}]}\n\n")]
    [InlineData("EventStream", "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"an\"}}]}\ndata: {\"x\":1}\n\n")]
    [InlineData("Ndjson", "{\"message\":{\"content\":\"<think>secret\"}}\n")]
    public void ReleaseIdleBuffers_AfterWholeEvents_HoldsNoArray(string framingName, string events)
    {
        var bytes = Encoding.UTF8.GetBytes(events);
        foreach (var mode in new[] { ThinkMode.Strip, ThinkMode.Split, ThinkMode.Merge })
        {
            using var rewriter = new FramedDocumentRewriter(Enum.Parse<ResponseFraming>(framingName), new ResponseRewriteOptions { Mode = mode }, 1 << 20);
            var output = new ArrayBufferWriter<byte>();
            rewriter.Write(bytes, output);

            rewriter.ReleaseIdleBuffers();

            // A thousand idle filtered streams held 4 KiB each in the rewritten-event scratch buffer (dotnet-dump gcroot).
            Assert.Equal(0, rewriter.BufferCapacity);
        }
    }

    [Theory]
    [InlineData("EventStream")]
    [InlineData("Ndjson")]
    [InlineData("JsonBody")]
    public void NewRewriter_BeforeAnyBytes_HoldsNoArray(string framingName)
    {
        foreach (var mode in new[] { ThinkMode.Strip, ThinkMode.Split, ThinkMode.Merge })
        {
            using var rewriter = new FramedDocumentRewriter(Enum.Parse<ResponseFraming>(framingName), new ResponseRewriteOptions { Mode = mode }, 1 << 20);

            // 1000 streams that start at once rented 8 KiB each here (4 KiB twice), and the JSON context 256 bytes eleven
            // times, for the whole stream (bench/RESULTS.md, 2026-12-05 morning).
            Assert.Equal(0, rewriter.BufferCapacity);
        }
    }

    [Fact]
    public void ReleaseIdleBuffers_IncompleteEvent_KeepsIt()
    {
        var first = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ans");
        var second = Encoding.UTF8.GetBytes("wer\"}}]}\n\n");
        using var rewriter = new FramedDocumentRewriter(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Strip }, 1 << 20);
        var output = new ArrayBufferWriter<byte>();

        rewriter.Write(first, output);
        rewriter.ReleaseIdleBuffers();
        Assert.True(rewriter.BufferCapacity >= first.Length);
        rewriter.Write(second, output);

        Assert.Equal("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"answer\"}}]}\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static string Run(ResponseFraming framing, ResponseRewriteOptions options, byte[] body, int piece, bool release)
    {
        using var rewriter = ResponseRewriterFactory.Create(framing, options)!;
        var output = new ArrayBufferWriter<byte>();
        for (var offset = 0; offset < body.Length; offset += piece)
        {
            if (release)
            {
                rewriter.ReleaseIdleBuffers();
            }

            rewriter.Write(body.AsSpan(offset, Math.Min(piece, body.Length - offset)), output);
        }

        if (release)
        {
            rewriter.ReleaseIdleBuffers();
        }

        rewriter.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
