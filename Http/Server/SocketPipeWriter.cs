using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace CotProxy.Http.Server;

/// <summary>
/// A client connection's output. Bytes gather in pooled blocks; a flush hands all of them to the kernel in one system
/// call (a gathered send when they span blocks), tried at once without waiting, and awaits only what the socket cannot
/// take now. StreamPipeWriter over a NetworkStream sends each block with its own asynchronous write. Blocks go back to
/// the pool once sent, so an idle connection holds none (as Kestrel's socket transport).
/// </summary>
internal sealed class SocketPipeWriter : PipeWriter
{
    private const int MinimumBlock = 4096;

    private readonly Socket _socket;

    // Blocks filled before the current one, in order, not yet sent; the first may be partly sent (its offset moved on).
    private readonly List<ArraySegment<byte>> _pending = new(4);
    private byte[]? _current;
    private int _written;
    private long _unflushed;
    private bool _completed;

    public SocketPipeWriter(Socket socket)
    {
        _socket = socket;
        // Sends never block the thread: what the kernel cannot take now comes back as WouldBlock and is awaited instead.
        // The connection's reader relies on the same mode for its receives (SocketPipeReader sets it too).
        _socket.Blocking = false;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed;

    public override Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).AsMemory(_written);

    public override Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).AsSpan(_written);

    public override void Advance(int bytes)
    {
        if (_current is null || (uint)bytes > (uint)(_current.Length - _written))
        {
            throw new InvalidOperationException("Advance went past the memory that was asked for.");
        }

        _written += bytes;
        _unflushed += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_unflushed == 0)
        {
            return default;
        }

        Seal();
        if (TrySendNow())
        {
            return default;
        }

        return SendRestAsync(cancellationToken);
    }

    public override void CancelPendingFlush()
    {
        // Nothing in the proxy cancels a flush this way: a flush ends with the bytes sent, the token, or the socket closed.
    }

    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        foreach (var block in _pending)
        {
            ArrayPool<byte>.Shared.Return(block.Array!);
        }

        _pending.Clear();
        if (_current is not null)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = null;
        }

        _unflushed = 0;
    }

    /// <summary>Sends what is left, as StreamPipeWriter's completion does, then gives the blocks back.</summary>
    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        try
        {
            if (exception is null && !_completed)
            {
                await FlushAsync();
            }
        }
        finally
        {
            Complete(exception);
        }
    }

    private byte[] Reserve(int sizeHint)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var needed = Math.Max(sizeHint, 1);
        if (_current is not null && _current.Length - _written >= needed)
        {
            return _current;
        }

        Seal();
        _current = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumBlock));
        _written = 0;
        return _current;
    }

    /// <summary>Moves the current block, if it holds bytes, to the pending list; an empty one goes back to the pool.</summary>
    private void Seal()
    {
        if (_current is null)
        {
            return;
        }

        if (_written > 0)
        {
            _pending.Add(new ArraySegment<byte>(_current, 0, _written));
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_current);
        }

        _current = null;
        _written = 0;
    }

    /// <summary>One non-blocking send of every pending block; true when all of them went.</summary>
    private bool TrySendNow()
    {
        SocketError error;
        var sent = _pending.Count == 1
            ? _socket.Send(_pending[0].AsSpan(), SocketFlags.None, out error)
            : _socket.Send(_pending, SocketFlags.None, out error);
        if (error is not (SocketError.Success or SocketError.WouldBlock))
        {
            throw WriteFailed(new SocketException((int)error));
        }

        Consume(error == SocketError.Success ? sent : 0);
        return _unflushed == 0;
    }

    private async ValueTask<FlushResult> SendRestAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (_pending.Count > 0)
            {
                var sent = await _socket.SendAsync(_pending[0].AsMemory(), SocketFlags.None, cancellationToken);
                Consume(sent);
            }
        }
        catch (SocketException ex)
        {
            throw WriteFailed(ex);
        }

        return default;
    }

    // As NetworkStream reports a failed write, so callers see the same exception whichever way the bytes went.
    private static IOException WriteFailed(SocketException ex) =>
        new($"Unable to write data to the transport connection: {ex.SocketErrorCode}.", ex);

    /// <summary>Drops <paramref name="sent"/> bytes from the front of the pending blocks, returning whole ones to the pool.</summary>
    private void Consume(int sent)
    {
        _unflushed -= sent;
        var done = 0;
        while (sent > 0)
        {
            var block = _pending[done];
            if (sent < block.Count)
            {
                _pending[done] = block.Slice(sent);
                break;
            }

            sent -= block.Count;
            ArrayPool<byte>.Shared.Return(block.Array!);
            done++;
        }

        _pending.RemoveRange(0, done);
    }
}
