using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using CotProxy.Filtering;

namespace CotProxy.Bench;

/// <summary>The incremental tag stripper on one text field, fed token by token as streamed deltas deliver it.</summary>
[MemoryDiagnoser]
public class ThinkTagStripperBenchmarks : IDisposable
{
    private readonly ArrayBufferWriter<byte> _answer = new(64 * 1024);
    private readonly ArrayBufferWriter<byte> _thinking = new(64 * 1024);
    private ThinkTagStripper _stripper = null!;
    private byte[][] _tagFreeTokens = [];
    private byte[][] _taggedTokens = [];
    private byte[] _tagFreeBlock = [];

    [GlobalSetup]
    public void Setup()
    {
        _stripper = new ThinkTagStripper("<think>"u8, "</think>"u8, startsOpen: false);
        _tagFreeTokens = BenchText.Utf8(BenchText.AnswerTokens(200));

        // Tags arrive split across deltas ("<th" | "ink>"), as tokenizers that have no single tag token emit them.
        var tagged = new List<string> { "<th", "ink>", "\n" };
        tagged.AddRange(BenchText.ThoughtTokens(60));
        tagged.AddRange(["\n</", "think>", "\n\n"]);
        tagged.AddRange(BenchText.AnswerTokens(200 - tagged.Count));
        _taggedTokens = BenchText.Utf8(tagged);

        var block = new StringBuilder();
        while (block.Length < 16 * 1024)
        {
            block.AppendJoin("", BenchText.AnswerTokens(200));
        }

        _tagFreeBlock = Encoding.UTF8.GetBytes(block.ToString(0, 16 * 1024));
    }

    /// <summary>200 tag-free tokens (one answer), then the end of the field.</summary>
    [Benchmark(Baseline = true)]
    public int TagFree200Tokens() => Run(_tagFreeTokens, thinking: null);

    /// <summary>200 tokens: a split start tag, a 60-token thought, a split end tag, the answer; thinking dropped (strip).</summary>
    [Benchmark]
    public int WithTags200TokensStrip() => Run(_taggedTokens, thinking: null);

    /// <summary>As above, thinking kept aside (split mode).</summary>
    [Benchmark]
    public int WithTags200TokensSplit() => Run(_taggedTokens, _thinking);

    /// <summary>16 KiB of tag-free text in one call: the raw scanning speed.</summary>
    [Benchmark]
    public int TagFree16KiBOneCall()
    {
        _answer.ResetWrittenCount();
        _stripper.Process(_tagFreeBlock, _answer, null);
        _stripper.Complete(_answer, null);
        return _answer.WrittenCount;
    }

    public void Dispose()
    {
        _stripper.Dispose();
        GC.SuppressFinalize(this);
    }

    private int Run(byte[][] tokens, ArrayBufferWriter<byte>? thinking)
    {
        _answer.ResetWrittenCount();
        _thinking.ResetWrittenCount();
        foreach (var token in tokens)
        {
            _stripper.Process(token, _answer, thinking);
        }

        _stripper.Complete(_answer, thinking);
        return _answer.WrittenCount;
    }
}
