using System.Text;
using System.Text.Json;
using CotProxy.Profiles;
using static CotProxy.Tests.Profiles.ProfileTestHelper;

namespace CotProxy.Tests.Profiles;

/// <summary>Bodies at the edges of what the one-pass rewrite reads, against the tree-based rewrite it replaced.</summary>
public sealed class RequestRewriterEdgeTests
{
    private const string Profile = "model=m,top_k=1,append_to_last_user_message=x";

    [Fact]
    public void Rewrite_NestedDeeperThan64_JsonExceptionInOurWords()
    {
        // The tree threw the reader's own message, which the trimmed build reduces to a resource key.
        byte[] body = Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 64) + new string(']', 64) + "}");

        Assert.ThrowsAny<JsonException>(() => TreeRequestRewriterOracle.Rewrite(body, Single(Profile)));
        var actual = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, Single(Profile)));

        Assert.Equal("the request body is nested deeper than 64 levels, or is not JSON, at line 1, byte 69", actual.Message);
    }

    [Fact]
    public void Rewrite_DuplicateNameDeepInsideMessages_SameJsonExceptionAsTree()
    {
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","te\u0078t":"a","text":"b"}]}]}""");

        var expected = Assert.ThrowsAny<JsonException>(() => TreeRequestRewriterOracle.Rewrite(body, Single(Profile)));
        var actual = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, Single(Profile)));

        Assert.Equal("Duplicate property 'text' encountered during deserialization.", actual.Message);
        Assert.Equal(expected.Message, actual.Message);
    }

    [Fact]
    public void Rewrite_InvalidUtf8InString_JsonExceptionNamingTheByteNeverReplaced()
    {
        // The tree wrote the bad bytes as U+FFFD: the model would have read text the client never sent.
        byte[] body = [.. "{\"a\":\""u8, 0xFF, 0xC3, .. "\"}"u8];

        Assert.Contains("\\uFFFD", Encoding.UTF8.GetString(TreeRequestRewriterOracle.Rewrite(body, Single(Profile))), StringComparison.Ordinal);
        var actual = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, Single(Profile)));

        Assert.Equal("the request body is not valid UTF-8 at byte offset 6 (in a)", actual.Message);
    }

    [Fact]
    public void Rewrite_InvalidUtf8AfterByteOrderMark_OffsetCountsTheMark()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. "{\"model\":\"m\",\"stop\":[\"a\",\""u8, 0xC0, 0xAF, .. "\"]}"u8];

        var actual = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, Single(Profile)));

        Assert.Equal("the request body is not valid UTF-8 at byte offset 29 (in stop[1])", actual.Message);
    }

    [Fact]
    public void Rewrite_LoneSurrogateEscape_JsonExceptionNotInvalidOperation()
    {
        // The tree threw InvalidOperationException while writing "\ud800" back, which the proxy did not turn into a 400.
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"\ud800"}]}""");

        Assert.Throws<InvalidOperationException>(() => TreeRequestRewriterOracle.Rewrite(body, Single(Profile)));
        var actual = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, Single(Profile)));

        Assert.Equal("the request body holds a lone surrogate escape \\ud800 at byte offset 51 (in messages[0].content), which is half a character and not text", actual.Message);
    }

    [Fact]
    public void Rewrite_ByteOrderMark_DroppedFromARewrittenBody()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. """{"model":"m","prompt":"p"}"""u8];

        Assert.Equal("""{"model":"m","prompt":"px","top_k":1}""", Encoding.UTF8.GetString(RequestRewriter.Rewrite(body, Single(Profile))));
    }

    [Theory]
    [InlineData("\"long\\n\\u00e9 😀 text \"")]
    [InlineData("[\"long\\n\\u00e9 😀 text \",1.50,{\"k\":null}]")]
    public void Rewrite_ChangesOfALongValue_SameDebugLineAsTree(string unit)
    {
        // The DEBUG line shows 80 characters of the old value; the one-pass rewrite reads no more of it than that.
        string value = unit.StartsWith('"')
            ? "\"" + string.Concat(Enumerable.Repeat(unit[1..^1], 20_000)) + "\""
            : "[" + string.Join(",", Enumerable.Repeat(unit, 20_000)) + "]";
        byte[] body = Encoding.UTF8.GetBytes($$"""{"model":"old","seed":{{value}},"top_k":{{value}}}""");
        ModelProfile profile = Single("model=m,!seed,top_k=1,upstream_model_name=up");
        var expected = new List<string>();
        var actual = new List<string>();

        TreeRequestRewriterOracle.Rewrite(body, profile, expected);
        RequestRewriter.Rewrite(body, profile, actual);

        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(8 * 1024 - 1)]
    [InlineData(8 * 1024)]
    [InlineData((8 * 1024) + 1)]
    [InlineData(3 * 8 * 1024)]
    public void Rewrite_LongStringsAroundTheSegmentSize_SameBytesAsTree(int length)
    {
        // Emoji (4 bytes, written as a 12-byte escape) and escapes straddle the 8 KiB segments the copy writes in.
        string raw = string.Concat(Enumerable.Repeat("a😀é\\n\\u00e9", length / 10 + 1))[..length];
        raw = raw.TrimEnd('\\');
        foreach (string body in new[]
        {
            $$"""{"model":"m","messages":[{"role":"user","content":"{{raw}}"}]}""",
            $$"""{"model":"m","messages":[{"role":"user","content":"{{raw.Replace("\\", "", StringComparison.Ordinal)}}"}]}""",
        })
        {
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            try
            {
                JsonDocument.Parse(bytes).Dispose();
            }
            catch (JsonException)
            {
                continue; // the cut left half an escape: not a body either rewrite would take
            }

            Assert.Equal(Encoding.UTF8.GetString(TreeRequestRewriterOracle.Rewrite(bytes, Single(Profile))), Encoding.UTF8.GetString(RequestRewriter.Rewrite(bytes, Single(Profile))));
        }
    }
}
