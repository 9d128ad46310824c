using System.Buffers;

namespace CotProxy.Profiles;

/// <summary>
/// A rewritten request body; the caller disposes it once the request is forwarded. Sized for the whole body up front, so
/// the copy never grows it while it writes. A small body's array comes from <see cref="ArrayPool{T}"/>; a large one's
/// (over 1 MiB) is allocated at its exact size and left to the GC: a pool would round a 17 MiB body up to a 32 MiB array
/// and keep that array for minutes after the one request that needed it.
/// </summary>
internal sealed class RewrittenBody : IBufferWriter<byte>, IDisposable
{
    private const int PooledAtMost = 1024 * 1024;

    private byte[] _buffer;
    private bool _pooled;
    private int _length;

    public RewrittenBody(int capacity)
    {
        (_buffer, _pooled) = Allocate(Math.Max(capacity, 256));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _length);
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(sizeHint);
        return _buffer.AsSpan(_length);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        bool pooled = _pooled;
        _buffer = [];
        _pooled = false;
        _length = 0;
        if (pooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (byte[] Buffer, bool Pooled) Allocate(int size) =>
        size <= PooledAtMost ? (ArrayPool<byte>.Shared.Rent(size), true) : (GC.AllocateUninitializedArray<byte>(size), false);

    // Only when escaping made the body longer than sized for (characters the encoder writes as \uXXXX).
    private void EnsureFree(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length >= needed)
        {
            return;
        }

        // A quarter more, not double: a large body outgrows its estimate by a few escapes, not by half again.
        (byte[] bigger, bool pooled) = Allocate(Math.Max(checked(_length + needed), checked(_buffer.Length + (_buffer.Length / 4))));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        byte[] old = _buffer;
        bool oldPooled = _pooled;
        _buffer = bigger;
        _pooled = pooled;
        if (oldPooled)
        {
            ArrayPool<byte>.Shared.Return(old);
        }
    }
}
