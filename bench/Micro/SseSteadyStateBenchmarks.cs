using System.Buffers;
using BenchmarkDotNet.Attributes;
using CotProxy.Filtering;

namespace CotProxy.Bench;

/// <summary>
/// One long-lived SSE rewriter already past its thought, fed 200 more answer events per operation: the per-event cost
/// once warmed up. Zero allocated bytes per operation means zero per event.
/// </summary>
[MemoryDiagnoser]
public class SseSteadyStateBenchmarks : IDisposable
{
    private readonly ArrayBufferWriter<byte> _output = new(256 * 1024);
    private byte[][] _answerEvents = [];
    private IResponseRewriter _rewriter = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions())!;
        var opening = SseResponseRewriterBenchmarks.Stream(["<think>", .. BenchText.ThoughtTokens(40), "</think>", "\n\n", "The"]);
        foreach (var e in opening[..^3])
        {
            _rewriter.Write(e, _output);
        }

        _answerEvents = [.. BenchText.AnswerTokens(200).Select(t => SseResponseRewriterBenchmarks.Event(role: false, t, finish: null))];
    }

    [Benchmark]
    public int AnswerEvents200()
    {
        _output.ResetWrittenCount();
        foreach (var e in _answerEvents)
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
