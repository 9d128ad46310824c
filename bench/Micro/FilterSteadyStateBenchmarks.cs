using System.Buffers;
using BenchmarkDotNet.Attributes;
using CotProxy.Filtering;

namespace CotProxy.Bench;

/// <summary>
/// The filter's cost per 240-byte SSE event once a stream is under way, reported per event (200 events per
/// invocation): answer events (the common case, the fast path) and events wholly inside a thought (dropped in
/// strip mode, moved into reasoning_content in split mode), with and without a pseudo-model name to put back.
/// </summary>
[MemoryDiagnoser]
public class FilterSteadyStateBenchmarks : IDisposable
{
    private const int Events = 200;

    private readonly ArrayBufferWriter<byte> _output = new(256 * 1024);
    private byte[][] _events = [];
    private IResponseRewriter _rewriter = null!;

    [Params(false, true)]
    public bool SplitMode { get; set; }

    /// <summary>False: the answer after the thought; true: the middle of the thought.</summary>
    [Params(false, true)]
    public bool InThought { get; set; }

    /// <summary>True: the client asked for a pseudo-model, whose name replaces the upstream's in every event.</summary>
    [Params(false, true)]
    public bool Alias { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ResponseRewriteOptions
        {
            Mode = SplitMode ? ThinkMode.Split : ThinkMode.Strip,
            ClientModelName = Alias ? "Qwen3-Clean" : null,
        };
        _rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, options)!;
        List<string> opening = InThought ? ["<think>", .. BenchText.ThoughtTokens(4)] : ["<think>", .. BenchText.ThoughtTokens(40), "</think>", "\n\n", "The"];
        foreach (var e in SseResponseRewriterBenchmarks.Stream(opening)[..^3])
        {
            _rewriter.Write(e, _output);
        }

        List<string> tokens = InThought ? BenchText.ThoughtTokens(Events) : BenchText.AnswerTokens(Events);
        _events = [.. tokens.Select(t => SseResponseRewriterBenchmarks.Event(role: false, t, finish: null))];
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int PerEvent()
    {
        _output.ResetWrittenCount();
        foreach (var e in _events)
        {
            _rewriter.Write(e, _output);
        }

        return _output.WrittenCount;
    }

    public void Dispose()
    {
        _rewriter.Dispose();
        GC.SuppressFinalize(this);
    }
}
