using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class MalformedInputTests
{
    [Theory]
    [InlineData("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud800<think>x</think>\"}}]}\n\n")]
    [InlineData("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>\\udc00 tail\"}}]}\n\n")]
    public void Rewrite_LoneSurrogateEscape_DoesNotThrow(string input)
    {
        byte[] output = RewriterHarness.Run("text/event-stream", new ResponseRewriteOptions(), Encoding.UTF8.GetBytes(input), 0);
        Assert.NotEmpty(output);
    }

    [Fact]
    public void Rewrite_InvalidUtf8InString_PassesUntouched()
    {
        byte[] input = [.. "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>"u8, 0xFF, 0xFE, .. "\"}}]}\n\n"u8];
        byte[] output = RewriterHarness.Run("text/event-stream", new ResponseRewriteOptions(), input, 0);
        Assert.Equal(input, output);
    }
}
