using System.Buffers;

namespace CotProxy.Buffers;

/// <summary>A growable byte buffer on <see cref="ArrayPool{T}"/>, reused across events and requests; Dispose returns it.</summary>
internal sealed class PooledByteBuffer : IBufferWriter<byte>, IDisposable
{
    /// <summary>The largest array taken from (and given back to) the pool; larger ones are plain arrays, dropped after use.</summary>
    public const int MaxPooledBytes = 1024 * 1024;

    // A released buffer this large asks for a collection soon (LargeBufferCollector): an idle process runs no GC.
    private const int LargeBufferBytes = 4 * 1024 * 1024;

    private byte[] _buffer;
    private int _length;

    public PooledByteBuffer(int initialCapacity = 256)
    {
        _buffer = Acquire(initialCapacity);
    }

    public int Length => _length;

    /// <summary>The size of the array held now (0 once released).</summary>
    public int Capacity => _buffer.Length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>Everything past the written bytes; call <see cref="EnsureFree"/> first for a minimum size.</summary>
    public Memory<byte> FreeMemory => _buffer.AsMemory(_length);

    public void Clear() => _length = 0;

    /// <summary>Gives the array back while nothing is written, so an idle owner holds no buffer; the next write rents again.</summary>
    public void ReleaseIfEmpty()
    {
        if (_length == 0 && _buffer.Length > 0)
        {
            byte[] buffer = _buffer;
            _buffer = [];
            Release(buffer);
        }
    }

    /// <summary>Drops the first <paramref name="count"/> bytes, keeping the rest at the front.</summary>
    public void RemoveStart(int count)
    {
        _buffer.AsSpan(count, _length - count).CopyTo(_buffer);
        _length -= count;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        _length += data.Length;
    }

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
        _buffer = [];
        _length = 0;
        Release(buffer);
    }

    public void EnsureFree(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _length >= needed)
        {
            return;
        }

        // Beyond the pooled sizes a buffer grows by a quarter, not double: a 30 MiB body must not hold 64 MiB.
        int grown = _buffer.Length > MaxPooledBytes ? _buffer.Length + (_buffer.Length / 4) : _buffer.Length * 2;
        int newSize = Math.Max(checked(_length + needed), Math.Max(grown, 256));
        byte[] bigger = Acquire(newSize);
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        byte[] old = _buffer;
        _buffer = bigger;
        Release(old);
    }

    /// <summary>
    /// Arrays up to 1 MiB come from the shared pool. Larger ones (a 30 MiB request body) are plain arrays the GC frees:
    /// the pool would keep them, rounded up to the next power of two, long after the request that needed them.
    /// </summary>
    private static byte[] Acquire(int size) =>
        size <= MaxPooledBytes ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Release(byte[] buffer)
    {
        if (buffer.Length > 0 && buffer.Length <= MaxPooledBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else if (buffer.Length > LargeBufferBytes)
        {
            LargeBufferCollector.NoteReleased();
        }
    }
}
