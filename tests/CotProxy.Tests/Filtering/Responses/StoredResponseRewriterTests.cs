using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>The stored response's model is read from its first bytes, however they are split, and failing closed when it cannot be.</summary>
public sealed class StoredResponseRewriterTests
{
    public static TheoryData<string, bool, string?> Bodies => new()
    {
        // A whole body: the root's "model", not one nested in metadata before it.
        { """{"id":"r","metadata":{"model":"decoy"},"model":"m","output":[]}""", false, "m" },
        { """{"id":"r","output":[{"model":"decoy"}]}""", false, null },
        { """{"id":"r","model":7}""", false, null },
        { """[{"model":"m"}]""", false, null },
        { "not json", false, null },
        // A stream: the first event's response.model, after comments and other fields.
        { ": hi\nevent: response.created\r\ndata: {\"type\":\"response.created\",\"response\":{\"metadata\":{\"model\":\"decoy\"},\"model\":\"m\"}}\n\n", true, "m" },
        { "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\ndata: {\"response\":{\"model\":\"m\"}}\n\n", true, null },
        { "data: {\"type\":\"response.created\",\"resp", true, null },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public void Write_AnySplit_ReadsTheSameModelAndPassesTheBytesOn(string body, bool stream, string? expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var chosen = new List<string?>();
            using var rewriter = new StoredResponseRewriter(stream, model =>
            {
                chosen.Add(model);
                return null;
            });
            var output = new ArrayBufferWriter<byte>();
            rewriter.Write(bytes.AsSpan(0, cut), output);
            rewriter.Write(bytes.AsSpan(cut), output);
            rewriter.Complete(output);

            Assert.Equal([expected], chosen);
            Assert.Equal(body, Encoding.UTF8.GetString(output.WrittenSpan));
        }
    }

    [Fact]
    public void Write_NoModelWithinTheBound_ChoosesNoneBeforeTheBodyEnds()
    {
        string? chosen = "unset";
        using var rewriter = new StoredResponseRewriter(stream: false, model =>
        {
            chosen = model;
            return null;
        });
        var output = new ArrayBufferWriter<byte>();
        byte[] body = Encoding.UTF8.GetBytes("{\"instructions\":\"" + new string('a', 2 * StoredResponseRewriter.MaxModelSearchBytes) + "\",\"model\":\"m\"}");
        for (int offset = 0; offset < body.Length - 100; offset += 1024)
        {
            rewriter.Write(body.AsSpan(offset, Math.Min(1024, body.Length - 100 - offset)), output);
        }

        Assert.Null(chosen);
        Assert.True(output.WrittenCount > StoredResponseRewriter.MaxModelSearchBytes);
    }
}
