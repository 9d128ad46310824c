using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace CotProxy.Http.Server;

/// <summary>
/// A client connection's input, read off the socket itself. StreamPipeReader over a NetworkStream pays for a stream's
/// layers on every read (a lock, a linked cancellation source, two asynchronous calls); here a read that finds bytes
/// buffered costs no call at all, and one that needs bytes makes the same system calls as before with none of those
/// layers. An idle connection holds no block: it waits for readability with a zero-byte receive (Kestrel's socket
/// transport does the same) and rents a 4 KiB block only to take bytes that are there; blocks go back to the pool once
/// consumed.
/// </summary>
/// <remarks>
/// Only the zero-byte wait is ever left on the socket, so no receive writes into a block while the consumer holds the
/// buffer: a read that is cancelled (its token, or <see cref="CancelPendingRead"/>) leaves that wait on the socket, and
/// the next read takes it over. The fields the socket's completion and the consumer both use are handed over by
/// <c>_state</c>, moved with Interlocked where the two race.
/// </remarks>
internal sealed class SocketPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private const int BlockSize = 4096;

    // A tail block with less room than this gets a new block after it, as StreamPipeReader's minimumReadSize.
    private const int MinimumReadSize = 1024;

    // No read in progress, nothing on the socket.
    private const int Idle = 0;

    // No read in progress; the wait of a read that was cancelled is still on the socket.
    private const int Parked = 1;

    // A read in progress whose code runs now (receiving, or deciding to wait); it never runs the consumer's code.
    private const int Running = 2;

    // A read in progress that waits on the socket.
    private const int Waiting = 3;

    private const int Closed = 4;

    // A read cancelled while it waited, whose end is queued to the thread pool; the wait is still on the socket.
    private const int Ending = 5;

    // The same, after the wait on the socket ended.
    private const int EndingWaitDone = 6;

    // Completed while a cancelled read's end was queued: that queued end gives the blocks back.
    private const int Closing = 7;

    private static readonly Action<object?> s_onTokenCancelled = static state => ((SocketPipeReader)state!).Detach(byToken: true);

    private static readonly Action<SocketPipeReader> s_endDetached = static reader => reader.EndDetached();

    private readonly Socket _socket;
    private readonly Action _onWaitCompleted;
    private ManualResetValueTaskSourceCore<ReadResult> _source;
    private int _state;

    // The zero-byte receive on the socket, its outcome, and the token of the read that waits on it.
    private ValueTask<int> _wait;
    private Exception? _waitError;
    private bool _readable;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;

    // How a cancelled read ends, kept for its queued end: an exception (its token), or this result (CancelPendingRead).
    private bool _endByToken;

    // The last receive filled all the room it had: more bytes are likely waiting, so the next read tries before it waits.
    private bool _lastReceiveFilled;
    private volatile bool _cancelNext;
    private bool _endOfStream;
    private bool _examinedEverything;

    // The buffered bytes: from _headIndex in _head to the end of _tail. None buffered: both null.
    private Segment? _head;
    private int _headIndex;
    private Segment? _tail;
    private Segment? _spare;

    public SocketPipeReader(Socket socket)
    {
        _socket = socket;
        _onWaitCompleted = OnWaitCompleted;
        // Receives never block the thread: an empty socket answers WouldBlock and the read waits asynchronously.
        _socket.Blocking = false;
    }

    /// <summary>Pooled blocks the reader holds now (none while the connection is idle).</summary>
    internal int HeldBlocks
    {
        get
        {
            var count = 0;
            for (var segment = _head; segment is not null; segment = segment.NextSegment)
            {
                count++;
            }

            return count;
        }
    }

    private ReadOnlySequence<byte> Buffer => _head is null ? default : new ReadOnlySequence<byte>(_head, _headIndex, _tail!, _tail!.End);

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<ReadResult>(cancellationToken);
        }

        var state = Volatile.Read(ref _state);
        if (state is not (Idle or Parked))
        {
            throw state is Closed or Closing ? ReaderCompleted() : ConcurrentRead();
        }

        // Bytes not yet examined come first, even while a cancelled read's wait is still on the socket.
        if (TryReadBuffered(out var result))
        {
            return new ValueTask<ReadResult>(result);
        }

        if (state == Parked && TryTakeOverWait(cancellationToken, out var pending))
        {
            return pending;
        }

        // Idle (a parked wait that ended just now leaves the reader idle).
        _state = Running;
        _token = cancellationToken;
        _source.Reset();
        var version = _source.Version;
        try
        {
            if (!Pump(out result))
            {
                return new ValueTask<ReadResult>(this, version);
            }
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _state, Idle);
            return ValueTask.FromException<ReadResult>(ex);
        }

        Volatile.Write(ref _state, Idle);
        return new ValueTask<ReadResult>(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        var state = Volatile.Read(ref _state);
        if (state is not (Idle or Parked))
        {
            throw state is Closed or Closing ? ReaderCompleted() : ConcurrentRead();
        }

        return TryReadBuffered(out result);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (Volatile.Read(ref _state) is Closed or Closing)
        {
            throw ReaderCompleted();
        }

        var head = _head;
        if (head is null || consumed.GetObject() is not Segment segment)
        {
            // Nothing was buffered (an empty buffer's positions name no block), or nothing consumed.
            _examinedEverything = head is null || IsEnd(examined);
            return;
        }

        var tail = _tail!;
        var index = consumed.GetInteger();
        _examinedEverything = IsEnd(examined);
        while (head != segment)
        {
            var next = head.NextSegment ?? throw new InvalidOperationException("AdvanceTo was given a position outside the buffer.");
            Release(head);
            head = next;
        }

        if (index == segment.End)
        {
            if (segment == tail)
            {
                // Everything consumed: the blocks go back to the pool, so an idle connection holds none.
                Release(segment);
                _head = _tail = null;
                _headIndex = 0;
                return;
            }

            var next = segment.NextSegment!;
            Release(segment);
            segment = next;
            index = 0;
        }

        _head = segment;
        _headIndex = index;
    }

    /// <summary>The waiting read (or, if none waits, the next one) returns at once with <see cref="ReadResult.IsCanceled"/>.</summary>
    public override void CancelPendingRead()
    {
        _cancelNext = true;
        Detach(byToken: false);
    }

    public override void Complete(Exception? exception = null)
    {
        var spinner = default(SpinWait);
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state is Closed or Closing)
            {
                return;
            }

            if (state is Ending or EndingWaitDone)
            {
                // A cancelled read's end is queued and may be reading the buffer: that end gives the blocks back.
                if (Interlocked.CompareExchange(ref _state, Closing, state) == state)
                {
                    return;
                }

                continue;
            }

            if (state == Running)
            {
                // A completion is receiving for the waiting read: a system call that does not block; its buffer is ours next.
                spinner.SpinOnce();
                continue;
            }

            if (Interlocked.CompareExchange(ref _state, Closed, state) != state)
            {
                continue;
            }

            ReleaseAll();
            if (state == Waiting)
            {
                // The read left waiting (the connection's watch for a disconnect) learns that there is nothing more to read.
                _registration.Unregister();
                _source.SetResult(new ReadResult(default, isCanceled: false, isCompleted: true));
            }

            return;
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);

    private bool TryReadBuffered(out ReadResult result)
    {
        if (_cancelNext)
        {
            _cancelNext = false;
            result = new ReadResult(Buffer, isCanceled: true, _endOfStream);
            return true;
        }

        // Bytes not yet examined are returned at once; once all were examined, only new bytes (or the end) end a read.
        if ((_head is not null && !_examinedEverything) || _endOfStream)
        {
            result = new ReadResult(Buffer, isCanceled: false, _endOfStream);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>
    /// Runs a read that needs bytes from the socket (state <see cref="Running"/>): true with its result when bytes or the
    /// end came; false when it now waits on the socket (state <see cref="Waiting"/>) and completes through the source.
    /// </summary>
    private bool Pump(out ReadResult result)
    {
        while (true)
        {
            if (_waitError is { } error)
            {
                _waitError = null;
                throw error;
            }

            // A receive is tried first only where bytes are likely there: after a wait ended, or after a receive that
            // filled its room. Otherwise (the keep-alive wait for a next request) it would only add a failing call.
            if ((_readable || _lastReceiveFilled) && TryReceive())
            {
                result = new ReadResult(Buffer, isCanceled: false, _endOfStream);
                return true;
            }

            // No block is held while waiting: the runtime waits for readability with a 1-byte peek (MSG_PEEK) and, once
            // the socket signals, completes without another call.
#pragma warning disable CA2012 // Not awaited: its result is taken exactly once, by EndWait, when it has completed.
            var wait = _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, CancellationToken.None);
#pragma warning restore CA2012
            if (wait.IsCompleted)
            {
                EndWait(wait);
                continue;
            }

            _wait = wait;
            // Registered before the read is marked waiting, so a cancellation that fires in between is seen below.
            _registration = _token.CanBeCanceled ? _token.UnsafeRegister(s_onTokenCancelled, this) : default;
            // A full fence: the look at the cancellations below must not move before this write, or a cancel that finds
            // the read still running (so does not detach it) would go unseen here too.
            Interlocked.Exchange(ref _state, Waiting);
            wait.GetAwaiter().UnsafeOnCompleted(_onWaitCompleted);
            if (_cancelNext || _token.IsCancellationRequested)
            {
                Detach(byToken: !_cancelNext);
            }

            result = default;
            return false;
        }
    }

    /// <summary>Makes a new read wait on the wait a cancelled read left on the socket; false if that wait ended meanwhile.</summary>
    private bool TryTakeOverWait(CancellationToken cancellationToken, out ValueTask<ReadResult> pending)
    {
        _token = cancellationToken;
        _source.Reset();
        var version = _source.Version;
        _registration = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(s_onTokenCancelled, this) : default;
        if (Interlocked.CompareExchange(ref _state, Waiting, Parked) != Parked)
        {
            _registration.Unregister();
            pending = default;
            return false;
        }

        if (_cancelNext || cancellationToken.IsCancellationRequested)
        {
            Detach(byToken: !_cancelNext);
        }

        pending = new ValueTask<ReadResult>(this, version);
        return true;
    }

    /// <summary>The zero-byte receive ended (a completion of the socket): the waiting read, if any, goes on from here.</summary>
    private void OnWaitCompleted()
    {
        var wait = _wait;
        _wait = default;
        try
        {
            EndWait(wait);
        }
        catch (Exception ex)
        {
            _waitError = ex;
        }

        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Parked && Interlocked.CompareExchange(ref _state, Idle, Parked) == Parked)
            {
                // Nobody waits now: the next read finds the outcome.
                return;
            }

            if (state == Waiting && Interlocked.CompareExchange(ref _state, Running, Waiting) == Waiting)
            {
                break;
            }

            if (state == Ending && Interlocked.CompareExchange(ref _state, EndingWaitDone, Ending) == Ending)
            {
                // The cancelled read's queued end will leave the reader idle rather than parked.
                return;
            }

            if (state is not (Parked or Waiting or Ending))
            {
                return;
            }
        }

        _registration.Unregister();
        ReadResult result;
        try
        {
            if (!Pump(out result))
            {
                return;
            }
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _state, Idle);
            _source.SetException(ex);
            return;
        }

        // Idle before the consumer's code runs (inline, from SetResult), since that code may start the next read.
        Volatile.Write(ref _state, Idle);
        _source.SetResult(result);
    }

    /// <summary>Ends the waiting read without bytes: cancelled by its token (an exception) or by <see cref="CancelPendingRead"/>.</summary>
    private void Detach(bool byToken)
    {
        if (Interlocked.CompareExchange(ref _state, Ending, Waiting) != Waiting)
        {
            return;
        }

        // The zero-byte wait stays on the socket (it holds no block); the next read takes it over. The read ends on the
        // thread pool, not inline: the thread that cancels is the server's heartbeat (a timeout) or its stop, which go on
        // to every other connection and must not run this one's response to it.
        _registration.Unregister();
        _endByToken = byToken;
        if (!byToken)
        {
            _cancelNext = false;
        }

        ThreadPool.UnsafeQueueUserWorkItem(s_endDetached, this, preferLocal: false);
    }

    /// <summary>The queued end of a cancelled read: the reader is left parked (or idle), then the read returns.</summary>
    private void EndDetached()
    {
        // The buffer cannot change before the read returns: no receive runs while it ends.
        var result = _endByToken ? default : new ReadResult(Buffer, isCanceled: true, _endOfStream);
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Ending && Interlocked.CompareExchange(ref _state, Parked, Ending) == Ending)
            {
                break;
            }

            if (state == EndingWaitDone && Interlocked.CompareExchange(ref _state, Idle, EndingWaitDone) == EndingWaitDone)
            {
                break;
            }

            if (state == Closing && Interlocked.CompareExchange(ref _state, Closed, Closing) == Closing)
            {
                ReleaseAll();
                _source.SetResult(new ReadResult(default, isCanceled: false, isCompleted: true));
                return;
            }
        }

        if (_endByToken)
        {
            _source.SetException(new OperationCanceledException(_token));
            return;
        }

        _source.SetResult(result);
    }

    /// <summary>Takes the outcome of a zero-byte receive that has completed (its result is read exactly once, here).</summary>
    private void EndWait(ValueTask<int> wait)
    {
        try
        {
            wait.GetAwaiter().GetResult();
            _readable = true;
        }
        catch (SocketException ex)
        {
            throw ReadFailed(ex);
        }
    }

    /// <summary>One non-blocking receive into the tail block (or a new one); false when the socket has no bytes now.</summary>
    private bool TryReceive()
    {
        _readable = false;
        var tail = _tail;
        var target = tail is not null && tail.Array.Length - tail.End >= MinimumReadSize ? tail : Rent();
        var room = target.Array.Length - target.End;
        int received;
        SocketError error;
        try
        {
            received = _socket.Receive(target.Array.AsSpan(target.End), SocketFlags.None, out error);
        }
        catch when (target != tail)
        {
            Release(target);
            throw;
        }

        if (error != SocketError.Success || received == 0)
        {
            if (target != tail)
            {
                Release(target);
            }

            if (error == SocketError.WouldBlock)
            {
                _lastReceiveFilled = false;
                return false;
            }

            if (error != SocketError.Success)
            {
                throw ReadFailed(new SocketException((int)error));
            }

            _endOfStream = true;
            return true;
        }

        _lastReceiveFilled = received == room;
        _examinedEverything = false;
        target.Grow(received);
        if (target != tail)
        {
            if (tail is null)
            {
                _head = target;
                _headIndex = 0;
            }
            else
            {
                tail.Link(target);
            }

            _tail = target;
        }

        return true;
    }

    // As NetworkStream reports a failed read, so callers see the same exception as before.
    private static IOException ReadFailed(SocketException ex) =>
        new($"Unable to read data from the transport connection: {ex.SocketErrorCode}.", ex);

    private static InvalidOperationException ReaderCompleted() => new("Reading is not allowed after the reader was completed.");

    private static InvalidOperationException ConcurrentRead() => new("A read is already in progress on this reader.");

    private bool IsEnd(SequencePosition position) =>
        position.GetObject() is Segment segment ? segment == _tail && position.GetInteger() == segment.End : _head is null;

    private Segment Rent()
    {
        var segment = _spare ?? new Segment();
        _spare = null;
        segment.Array = ArrayPool<byte>.Shared.Rent(BlockSize);
        return segment;
    }

    private void Release(Segment segment)
    {
        ArrayPool<byte>.Shared.Return(segment.Array);
        segment.Clear();
        _spare = segment;
    }

    private void ReleaseAll()
    {
        for (var segment = _head; segment is not null;)
        {
            var next = segment.NextSegment;
            Release(segment);
            segment = next;
        }

        _head = _tail = null;
        _headIndex = 0;
    }

    /// <summary>A pooled block in the buffered sequence; its bytes run from 0 to <see cref="End"/>.</summary>
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public byte[] Array { get; set; } = [];

        public int End { get; private set; }

        public Segment? NextSegment => (Segment?)Next;

        public void Grow(int bytes)
        {
            End += bytes;
            Memory = Array.AsMemory(0, End);
        }

        public void Link(Segment next)
        {
            next.RunningIndex = RunningIndex + End;
            Next = next;
        }

        public void Clear()
        {
            Array = [];
            End = 0;
            Memory = default;
            Next = null;
            RunningIndex = 0;
        }
    }
}
