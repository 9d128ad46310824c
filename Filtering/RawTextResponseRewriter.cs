using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>Other text/* bodies: the stripper runs on the bytes themselves (there is no JSON to decode).</summary>
internal sealed class RawTextResponseRewriter : IResponseRewriter
{
    private readonly ThinkTagStripper _stripper;

    public RawTextResponseRewriter(ResponseRewriteOptions options)
    {
        _stripper = new ThinkTagStripper(options.Tags, options.StartsOpen, options.Mode == ThinkMode.Merge);
    }

    // Merge mode: the thought goes back into the text itself, as <think>…</think>.
    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output) => _stripper.Process(input, output, _stripper.Merges ? output : null);

    public void Complete(IBufferWriter<byte> output) => _stripper.Complete(output, _stripper.Merges ? output : null);

    public bool TryWriteKeepAlive(IBufferWriter<byte> output) => false;

    public bool WantsKeepAlive => false;

    public void ReleaseIdleBuffers()
    {
        // The stripper holds only the few bytes that may begin a tag.
    }

    public int DroppedEvents => 0;

    // Plain-text bodies are not counted: the stripper alone sees them, and it keeps no count.
    public long ThinkingChars => 0;

    public string? FailureReason => null;

    public void Dispose() => _stripper.Dispose();
}
