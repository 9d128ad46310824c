using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class MalformedInputTests
{
    [Theory]
    [InlineData("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud800<think>x</think>\"}}]}\n\n")]
    [InlineData("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>\\udc00 tail\"}}]}\n\n")]
    public void Rewrite_LoneSurrogateEscape_DroppedAndCountedWithoutThrowing(string input)
    {
        (string output, int dropped) = Run(Encoding.UTF8.GetBytes(input));
        Assert.DoesNotContain("x", output, StringComparison.Ordinal);
        Assert.Equal(1, dropped);
    }

    [Fact]
    public void Rewrite_InvalidUtf8InString_DroppedAndCounted()
    {
        // Failing closed: the event cannot be read and may open a thought, so it does not pass.
        byte[] input = [.. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>"u8, 0xFF, 0xFE, .. "\"}}]}\n\n"u8];
        (string output, int dropped) = Run(input);
        Assert.Equal("", output);
        Assert.Equal(1, dropped);
    }

    [Fact]
    public void Rewrite_InvalidUtf8InsideThought_DroppedWhileAnswerAround()
    {
        byte[] input = [.. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>\"}}]}\n\n"u8,
            .. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"secret "u8, 0xE6, .. "\"}}]}\n\n"u8,
            .. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>Hi\"}}]}\n\n"u8];
        // Dropped as thought by the fast path, which reads no byte of it.
        (string output, _) = Run(input);
        Assert.Equal("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", output);
    }

    [Fact]
    public void Rewrite_NestingDeeperThanTheReaderInsideThought_Dropped()
    {
        string deep = new string('[', 200) + new string(']', 200);
        string input = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"secret\",\"x\":" + deep + "}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>Hi\"}}]}\n\n";
        (string output, _) = Run(Encoding.UTF8.GetBytes(input));
        Assert.Equal("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", output);
    }

    [Fact]
    public void Rewrite_UnreadableEventWhileHoldingATagPrefix_DroppedAndCounted()
    {
        byte[] input = [.. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\n<th\"}}]}\n\n"u8,
            .. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x"u8, 0xFF, .. "\"}}]}\n\n"u8,
            .. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ink>secret</think>!\"}}]}\n\n"u8];
        (string output, int dropped) = Run(input);
        Assert.DoesNotContain("secret", output, StringComparison.Ordinal);
        Assert.Equal(1, dropped);
    }

    private static (string Output, int Dropped) Run(byte[] input)
    {
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions())!;
        var output = new ArrayBufferWriter<byte>();
        rewriter.Write(input, output);
        rewriter.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), rewriter.DroppedEvents);
    }
}
