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
        foreach (var mode in new[] { ThinkMode.Strip, ThinkMode.Split })
        {
            var options = new ResponseRewriteOptions { Mode = mode };
            for (var piece = 1; piece <= bytes.Length; piece += 7)
            {
                Assert.Equal(Run(framing, options, bytes, piece, release: false), Run(framing, options, bytes, piece, release: true));
            }
        }
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
