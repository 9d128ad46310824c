using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>
/// A rewriter that holds a body's first bytes until they tell which rewriter must filter it, then hands the held bytes
/// and the rest to that one (none: the body passes untouched). What the chosen rewriter reports is reported as it is.
/// </summary>
internal abstract class DeferredResponseRewriter : IResponseRewriter
{
    private PooledByteBuffer? _held = new(256);
    private IResponseRewriter? _inner;
    private bool _decided;

    /// <summary>The bytes held so far; only before the choice.</summary>
    protected ReadOnlySpan<byte> Held => _held!.WrittenSpan;

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_decided)
        {
            Pass(input, output);
            return;
        }

        _held!.Write(input);
        OnMoreHeld(output);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (!_decided)
        {
            OnEndHeld(output);
        }

        _inner?.Complete(output);
    }

    public bool TryWriteKeepAlive(IBufferWriter<byte> output) => _inner?.TryWriteKeepAlive(output) ?? false;

    public bool WantsKeepAlive => _inner?.WantsKeepAlive ?? false;

    public void ReleaseIdleBuffers() => _inner?.ReleaseIdleBuffers();

    public int DroppedEvents => _inner?.DroppedEvents ?? 0;

    public int LogprobsDropped => _inner?.LogprobsDropped ?? 0;

    public long ThinkingChars => _inner?.ThinkingChars ?? 0;

    public string? FailureReason => _inner?.FailureReason;

    public void Dispose()
    {
        _inner?.Dispose();
        _held?.Dispose();
        _held = null;
    }

    /// <summary>More bytes are held (<see cref="Held"/>): call <see cref="Hand"/> once they tell.</summary>
    protected abstract void OnMoreHeld(IBufferWriter<byte> output);

    /// <summary>The body ended before the held bytes told: call <see cref="Hand"/> now.</summary>
    protected abstract void OnEndHeld(IBufferWriter<byte> output);

    /// <summary>The choice: <paramref name="inner"/> (null: untouched) takes the held bytes, then everything after them.</summary>
    protected void Hand(IResponseRewriter? inner, IBufferWriter<byte> output)
    {
        _decided = true;
        _inner = inner;
        Pass(_held!.WrittenSpan, output);
        _held.Dispose();
        _held = null;
    }

    private void Pass(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_inner is null)
        {
            output.Write(input);
        }
        else
        {
            _inner.Write(input, output);
        }
    }
}
