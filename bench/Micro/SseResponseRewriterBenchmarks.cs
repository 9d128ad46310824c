using System.Buffers;
using BenchmarkDotNet.Attributes;
using CotProxy.Demo;
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
    // The envelope llama.cpp's server sends with every chunk.
    private static readonly ChatEnvelope s_envelope = new("chatcmpl-3Jd9WmQk1xY7bV0aZrT5uE8o", "qwen3-14b-q6_k", 1761385200, "b6224-8f5c1e2a");

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
        events.Add(ChatCompletionJson.DoneUtf8.ToArray());
        return [.. events];
    }

    internal static byte[] Event(bool role, string? content, string? finish) =>
        ChatCompletionJson.SseEvent(ChatCompletionJson.Chunk(s_envelope, new ChunkChoice(0, content, finish, role)));

    private static byte[] Usage() => ChatCompletionJson.SseEvent(ChatCompletionJson.UsageChunk(s_envelope, 31, 196));
}
