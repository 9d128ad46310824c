using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CotProxy.Filtering;

namespace CotProxy.Bench;

/// <summary>
/// The SSE rewriter (from the factory, as the proxy gets it) on a whole llama.cpp-style chat stream, one upstream read
/// per event: created, fed, completed and disposed per operation. Equal allocation at 20 and 200 events means nothing
/// is allocated per event.
/// </summary>
[MemoryDiagnoser]
public class SseResponseRewriterBenchmarks
{
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ArrayBufferWriter<byte> _output = new(256 * 1024);
    private byte[][] _stream = [];
    private ResponseRewriteOptions _options = null!;

    /// <summary>Events in the whole stream (role, thought, answer, finish, usage, [DONE]).</summary>
    [Params(20, 200)]
    public int Events { get; set; }

    /// <summary>False: thinking stripped; true: thinking moved to reasoning_content (split mode).</summary>
    [Params(false, true)]
    public bool SplitMode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _options = new ResponseRewriteOptions { Mode = SplitMode ? ThinkMode.Split : ThinkMode.Strip };
        var content = Events - 4;
        var thought = content * 3 / 10;
        var deltas = new List<string> { "<think>" };
        deltas.AddRange(BenchText.ThoughtTokens(thought - 2));
        deltas.Add("</think>");
        deltas.Add("\n\n");
        deltas.AddRange(BenchText.AnswerTokens(content - deltas.Count));

        _stream = Stream(deltas);
    }

    /// <summary>One whole response: rewriter created by the factory, every event written as its own read, completed.</summary>
    [Benchmark]
    public int WholeResponse()
    {
        _output.ResetWrittenCount();
        using var rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, _options)!;
        foreach (var e in _stream)
        {
            rewriter.Write(e, _output);
        }

        rewriter.Complete(_output);
        return _output.WrittenCount;
    }

    /// <summary>The events of a stream carrying <paramref name="deltas"/>: role first, then finish, usage and [DONE].</summary>
    internal static byte[][] Stream(IEnumerable<string> deltas)
    {
        var events = new List<byte[]> { Event(role: true, content: null, finish: null) };
        events.AddRange(deltas.Select(d => Event(role: false, d, finish: null)));
        events.Add(Event(role: false, content: null, finish: "stop"));
        events.Add(Usage());
        events.Add("data: [DONE]\n\n"u8.ToArray());
        return [.. events];
    }

    internal static byte[] Event(bool role, string? content, string? finish) => Data(w =>
    {
        WriteEnvelope(w);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        if (role)
        {
            w.WriteString("role", "assistant");
        }

        if (content is not null)
        {
            w.WriteString("content", content);
        }

        w.WriteEndObject();
        if (finish is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finish);
        }

        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static byte[] Usage() => Data(w =>
    {
        WriteEnvelope(w);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", 31);
        w.WriteNumber("completion_tokens", 196);
        w.WriteNumber("total_tokens", 227);
        w.WriteEndObject();
    });

    private static void WriteEnvelope(Utf8JsonWriter w)
    {
        // The envelope llama.cpp's server sends with every chunk.
        w.WriteString("id", "chatcmpl-3Jd9WmQk1xY7bV0aZrT5uE8o");
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", 1761385200);
        w.WriteString("model", "qwen3-14b-q6_k");
        w.WriteString("system_fingerprint", "b6224-8f5c1e2a");
    }

    private static byte[] Data(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, s_json))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return [.. "data: "u8, .. stream.ToArray(), .. "\n\n"u8];
    }
}
