using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public class SniffingResponseRewriterTests
{
    public static TheoryData<string, string?, string> Bodies => new()
    {
        { "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>Hi\"}}]}\n\ndata: [DONE]\n\n", "JsonBody", "EventStream" },
        { "\r\n: keep-alive\n\ndata: [DONE]\n\n", null, "EventStream" },
        { "event: message\ndata: {}\n\n", "Text", "EventStream" },
        { "{\n \"choices\": [{\"index\": 0, \"message\": {\"content\": \"<think>x</think>Hi\"}}]\n}", null, "JsonBody" },
        { "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>x</think>Hi\"}}]}", "EventStream", "JsonBody" },
        { "{\"message\":{\"content\":\"<think>x\"}}\n{\"message\":{\"content\":\"</think>Hi\"}}\n", null, "Ndjson" },
        { "{\"message\":{\"content\":\"<think>x</think>Hi\"}}\n", "JsonBody", "JsonBody" },
        { "\uFEFF  <think>x</think>Hi", "JsonBody", "Text" },
        { "database: not an event stream", null, "Text" },
        { "dat", null, "Text" },
        { "", "EventStream", "EventStream" },
        { "HTTP/1.1 200 OK\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>x</think>Hi\"}}]}\n\n", null, "EventStream" },
        { "garbage\r\n\r\n: ping\r\n\r\n", "EventStream", "EventStream" },
        { ": junk or a comment\n{\"message\":{\"content\":\"<think>x</think>Hi\"}}\n", null, "Ndjson" },
        { ": junk or a comment\n\n: another\n\n", "JsonBody", "Text" },
        { "warming up\n{\"message\":{\"content\":\"<think>x</think>Hi\"}}\n", "Text", "Ndjson" },
        { "warming up\n  {\"message\":\n{\"content\":\"<think>x</think>Hi\"}}", null, "JsonBody" },
        { "<think>x</think>just text\n  data: indented, so not a field\nmore", "EventStream", "Text" },
        { "just text\nda", null, "Text" },
    };

    /// <summary>Reasoning fields after a first line of junk: filtered as the stream they are, never passed on as text.</summary>
    [Theory]
    [InlineData("garbage line\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"SECRET\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n", null)]
    [InlineData("garbage line\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\"SECRET\"}}]}\n\n", "EventStream")]
    [InlineData("\u0001\u0002 junk\n{\"message\":{\"thinking\":\"SECRET\",\"content\":\"\"},\"done\":false}\n{\"message\":{\"content\":\"Hi\"},\"done\":true}\n", null)]
    [InlineData("\u0001\u0002 junk\n{\"message\":{\"thinking\":\"SECRET\",\"content\":\"\"},\"done\":false}\n", "Ndjson")]
    [InlineData("oops\n{\"choices\":[{\"index\":0,\"message\":{\"content\":\"Hi\",\n\"reasoning_content\":\"SECRET\"}}]}", "JsonBody")]
    [InlineData("   : junk that reads as an SSE comment\n{\"message\":{\"content\":\"\",\"thinking\":\"SECRET\"},\"done\":false}\n", "Ndjson")]
    [InlineData(": junk that reads as an SSE comment\n{\"message\":{\"content\":\"\",\"thinking\":\"SECRET\"},\"done\":false}\n\n", null)]
    public void Recognise_JunkThenReasoningField_FieldNeverInOutput(string body, string? labelName)
    {
        ResponseFraming? label = labelName is null ? null : Enum.Parse<ResponseFraming>(labelName);
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var (output, framing) = Run(bytes, label, [cut, bytes.Length - cut]);
            Assert.NotEqual(ResponseFraming.Text, framing);
            Assert.DoesNotContain("SECRET", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Recognise_EverySplit_SameFramingAndOutput(string body, string? labelName, string expectedName)
    {
        ResponseFraming? label = labelName is null ? null : Enum.Parse<ResponseFraming>(labelName);
        var expected = Enum.Parse<ResponseFraming>(expectedName);
        var bytes = Encoding.UTF8.GetBytes(body);
        var (whole, framing) = Run(bytes, label, [bytes.Length]);
        Assert.Equal(expected, framing);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var (split, splitFraming) = Run(bytes, label, [cut, bytes.Length - cut]);
            Assert.True(whole.SequenceEqual(split), $"cut at {cut}: output differs");
            Assert.Equal(expected, splitFraming);
        }

        var (bytewise, bytewiseFraming) = Run(bytes, label, [.. Enumerable.Repeat(1, bytes.Length)]);
        Assert.True(whole.SequenceEqual(bytewise), "one byte at a time: output differs");
        Assert.Equal(expected, bytewiseFraming);
    }

    [Fact]
    public void Recognise_ThoughtInEveryFraming_NeverInOutput()
    {
        foreach (var (body, _, _) in Bodies.Select(row => ((string)row[0], row[1], row[2])))
        {
            var (output, _) = Run(Encoding.UTF8.GetBytes(body), label: null, [body.Length]);
            Assert.DoesNotContain("<think>x", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
        }
    }

    private static (byte[] Output, ResponseFraming? Framing) Run(byte[] body, ResponseFraming? label, int[] pieces)
    {
        using var rewriter = new SniffingResponseRewriter(label, new ResponseRewriteOptions());
        var output = new ArrayBufferWriter<byte>();
        var offset = 0;
        foreach (var size in pieces)
        {
            var length = Math.Min(size, body.Length - offset);
            rewriter.Write(body.AsSpan(offset, length), output);
            offset += length;
        }

        rewriter.Complete(output);
        return (output.WrittenSpan.ToArray(), rewriter.Framing);
    }
}
