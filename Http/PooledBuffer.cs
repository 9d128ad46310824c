using System.Buffers;

namespace CotProxy.Http;

/// <summary>A growable byte buffer rented from <see cref="ArrayPool{T}"/>; dispose returns it.</summary>
internal sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _array;
    private int _length;

    public PooledBuffer(int initialCapacity)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, _length);

    public Memory<byte> FreeMemory => _array.AsMemory(_length);

    public void EnsureFree(int sizeHint)
    {
        if (_array.Length - _length >= sizeHint)
        {
            return;
        }

        var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _length + sizeHint));
        _array.AsSpan(0, _length).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_array);
        _array = grown;
    }

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureFree(Math.Max(sizeHint, 256));
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureFree(Math.Max(sizeHint, 256));
        return _array.AsSpan(_length);
    }

    public void Clear() => _length = 0;

    public void Dispose()
    {
        var array = _array;
        _array = [];
        _length = 0;
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
