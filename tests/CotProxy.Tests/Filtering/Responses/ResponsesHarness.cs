using System.Buffers;
using System.Text;
using System.Text.Json;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>Runs the Responses API filter over a body fed in chunks, and reads the events a client would see.</summary>
internal static class ResponsesHarness
{
    public static byte[] Run(ResponseFraming framing, ResponseRewriteOptions options, byte[] body, int chunkSize, out int dropped)
    {
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(framing, options, ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi.Responses)!;
        var output = new ArrayBufferWriter<byte>();
        int size = chunkSize <= 0 ? Math.Max(body.Length, 1) : chunkSize;
        for (int offset = 0; offset < body.Length; offset += size)
        {
            rewriter.Write(body.AsSpan(offset, Math.Min(size, body.Length - offset)), output);
        }

        rewriter.Complete(output);
        dropped = rewriter.DroppedEvents;
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Run(ResponseFraming framing, ResponseRewriteOptions options, byte[] body) => Run(framing, options, body, 0, out _);

    /// <summary>The output of a whole read, checked to be the same when the body comes in pieces of several sizes.</summary>
    public static byte[] RunAllChunkings(ResponseFraming framing, ResponseRewriteOptions options, byte[] body)
    {
        byte[] whole = Run(framing, options, body);
        foreach (int size in new[] { 1, 7, 100, 4096 })
        {
            byte[] chunked = Run(framing, options, body, size, out _);
            Assert.True(whole.AsSpan().SequenceEqual(chunked), $"output differs when fed in {size}-byte chunks");
        }

        return whole;
    }

    /// <summary>The JSON documents of a stream: SSE data values (not [DONE]) or NDJSON lines.</summary>
    public static List<JsonElement> Documents(byte[] body, ResponseFraming framing)
    {
        string text = Encoding.UTF8.GetString(body);
        IEnumerable<string> documents = framing == ResponseFraming.EventStream
            ? RewriterHarness.SseData(text).Where(d => d != "[DONE]")
            : text.Split('\n').Where(l => l.Trim().Length > 0);
        return [.. documents.Select(d => JsonDocument.Parse(d).RootElement.Clone())];
    }

    /// <summary>The answer as the deltas build it, per output_index.</summary>
    public static SortedDictionary<int, string> DeltaText(IEnumerable<JsonElement> events)
    {
        var texts = new SortedDictionary<int, string>();
        foreach (JsonElement e in events.Where(e => Type(e) == "response.output_text.delta"))
        {
            int index = e.GetProperty("output_index").GetInt32();
            texts[index] = texts.GetValueOrDefault(index, "") + e.GetProperty("delta").GetString();
        }

        return texts;
    }

    public static string Type(JsonElement e) => e.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";

    /// <summary>The sequence numbers run 0, 1, 2… and every output_index names an item announced by output_item.added, in order from 0.</summary>
    public static void AssertContiguous(List<JsonElement> events)
    {
        List<long> sequence = [.. events.Where(e => e.TryGetProperty("sequence_number", out _)).Select(e => e.GetProperty("sequence_number").GetInt64())];
        Assert.Equal(Enumerable.Range(0, sequence.Count).Select(i => (long)i), sequence);

        int added = 0;
        foreach (JsonElement e in events)
        {
            if (Type(e) == "response.output_item.added")
            {
                Assert.Equal(added++, e.GetProperty("output_index").GetInt32());
            }
            else if (e.TryGetProperty("output_index", out JsonElement index))
            {
                Assert.InRange(index.GetInt32(), 0, Math.Max(added - 1, 0));
            }
        }
    }
}
