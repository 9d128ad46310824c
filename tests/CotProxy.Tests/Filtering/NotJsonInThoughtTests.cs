using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// A stream document that is not JSON at all, arriving while a thought is open (an upstream that broke an event with a raw
/// line break inside a string, found by fuzz/run sse): the full path cannot read it and drops it, failing closed, and the
/// raw-byte fast path must not pass it for want of names to look at. Inputs kept in fuzz/regressions/sse.
/// </summary>
public sealed class NotJsonInThoughtTests
{
    private const string Open = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>\"}}]}\n\n";
    private const string Close = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>Hi\"}}]}\n\n";

    [Theory]
    [InlineData("data: secret words\n\n")]
    [InlineData("data: xsecret\"},\"finish_reason\":null}]}\n\n")]
    [InlineData("data: {secret\"},\"finish_reason\":null}]}\n\n")]
    public void Rewrite_NotJsonEventInsideThought_Dropped(string notJson)
    {
        byte[] body = Encoding.UTF8.GetBytes(Open + notJson + Close);
        for (int position = 0; position <= body.Length; position++)
        {
            string output = Encoding.UTF8.GetString(RewriterHarness.RunSplitAt("text/event-stream", new ResponseRewriteOptions(), body, position));
            Assert.Equal("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", output);
        }
    }

    [Fact]
    public void Rewrite_NotJsonLineAtStartOfStartsOpenStream_Dropped()
    {
        // The template opened the thought: the first line is thinking before any choice was seen.
        byte[] body = Encoding.UTF8.GetBytes("secret words\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"</think>Hi\"},\"done\":false}\n");
        string output = Encoding.UTF8.GetString(RewriterHarness.Run("application/x-ndjson", new ResponseRewriteOptions { StartsOpen = true }, body, 0));
        Assert.DoesNotContain("secret", output, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"Hi\"", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data: {i secret\"},\"finish_reason\":null}]}\n\n")]
    [InlineData("data: secret words\n\n")]
    public void Rewrite_NotJsonEventForUnseenChoiceOfStartsOpenStream_Dropped(string notJson)
    {
        // Choice 0 answered and finished; the template opened a thought for choice 1, not seen yet (found by fuzz/run sse).
        byte[] body = Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>Hi\"},\"finish_reason\":\"stop\"}]}\n\n" + notJson);
        string output = Encoding.UTF8.GetString(RewriterHarness.Run("text/event-stream", new ResponseRewriteOptions { StartsOpen = true }, body, 0));
        Assert.DoesNotContain("secret", output, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"Hi\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Rewrite_NotJsonEventOutsideThought_PassesAsBefore()
    {
        // Outside a thought the fast path still passes what holds no tag byte, as it always has.
        byte[] body = Encoding.UTF8.GetBytes("data: plain words\n\n");
        Assert.Equal("data: plain words\n\n", Encoding.UTF8.GetString(RewriterHarness.Run("text/event-stream", new ResponseRewriteOptions(), body, 0)));
    }
}
