using System.Threading.Tasks.Sources;
using CotProxy.Http.Server;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// A filtered stream's wait inside a hidden thought: for its upstream read, or for the keep-alive to fall due, whichever
/// comes first, allocating nothing per wait (no Task.Delay, AsTask or WhenAny). One per stream, made at its first such wait.
/// The read is never cancelled to wake the copy: SocketsHttpHandler's HTTP/1.1 response streams register a read's token
/// with their connection, and a cancellation disposes that connection (dotnet/runtime, ChunkedEncodingReadStream.ReadAsync
/// and HttpConnection.RegisterCancellation), so the stream could not be read again. The copy awaits this instead, which
/// the read's completion or the server's heartbeat (an alarm on the stream's <see cref="Deadline"/>) completes. Only the
/// copy writes to the response, so a keep-alive never meets an event there.
/// </summary>
internal sealed class KeepAliveWait : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    private const int Closed = 0;
    private const int Open = 1;

    private const int Reading = 0;
    private const int ReadDone = 1;
    private const int Abandoned = 2;

    private readonly Deadline _deadline;
    private readonly TimeSpan _interval;
    private readonly long _intervalMs;
    private readonly Action _onRead;

    // Not RunContinuationsAsynchronously: a read's completion continues the copy on its own thread, as an await of the
    // read would; an alarm already runs on the thread pool.
    private ManualResetValueTaskSourceCore<bool> _core;
    private ValueTask<int> _read;
    private int _readState;
    private int _round;

    // When the next keep-alive is due (Environment.TickCount64): the interval after the first wait, then after each one
    // sent; events of the thought do not move it, since the client sees none of them.
    private long _due;

    public KeepAliveWait(Deadline deadline, TimeSpan interval)
    {
        _deadline = deadline;
        _interval = interval;
        _intervalMs = (long)Math.Ceiling(interval.TotalMilliseconds);
        _onRead = OnRead;
    }

    /// <summary>Starts watching <paramref name="read"/>, a read that did not complete at once; its result is taken with <see cref="TakeRead"/>.</summary>
    public void Watch(ValueTask<int> read)
    {
        _read = read;
        Volatile.Write(ref _readState, Reading);
        if (_due == 0)
        {
            _due = Environment.TickCount64 + _intervalMs;
        }

        read.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onRead);
    }

    /// <summary>True when the read has completed; false when a keep-alive is due first (send it, then call <see cref="KeepAliveSent"/>).</summary>
    public ValueTask<bool> WaitAsync()
    {
        if (Volatile.Read(ref _readState) == ReadDone)
        {
            return new ValueTask<bool>(true);
        }

        if (Environment.TickCount64 >= _due)
        {
            return new ValueTask<bool>(false);
        }

        _core.Reset();
        // A full fence between opening the round and looking at the read, as between the read's completion and its look
        // at the round (Signal): one of the two sees the other, so the completion is never lost.
        Interlocked.Exchange(ref _round, Open);
        if (Volatile.Read(ref _readState) == ReadDone)
        {
            Signal(true);
        }

        // Armed once the round is open, so that an alarm which rings at once finds it.
        _deadline.AlarmAt(_due, _interval, this);
        return new ValueTask<bool>(this, _core.Version);
    }

    public void KeepAliveSent() => _due = Environment.TickCount64 + _intervalMs;

    /// <summary>The completed read, to await once; the alarm is disarmed.</summary>
    public ValueTask<int> TakeRead()
    {
        _deadline.DisarmAlarm();
        var read = _read;
        _read = default;
        return read;
    }

    /// <summary>The copy ends without taking the read (a keep-alive could not be sent): its result is observed when it comes.</summary>
    public void Abandon()
    {
        _deadline.DisarmAlarm();
        if (Interlocked.Exchange(ref _readState, Abandoned) == ReadDone)
        {
            Observe();
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        // An alarm armed for an earlier due time may come late: only one that is due now wakes the copy. One that read the
        // time just before the copy sent that keep-alive and opened its next wait still wakes it: one comment early,
        // which a client reads as any other; a count per wait would prevent it, and is not worth its state.
        if (Environment.TickCount64 >= Volatile.Read(ref _due))
        {
            Signal(false);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnRead()
    {
        if (Interlocked.Exchange(ref _readState, ReadDone) == Abandoned)
        {
            Observe();
            return;
        }

        Signal(true);
    }

    private void Signal(bool readDone)
    {
        if (Interlocked.Exchange(ref _round, Closed) == Open)
        {
            _core.SetResult(readDone);
        }
    }

    private void Observe()
    {
        try
        {
            _read.GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // The response is gone already; the read's failure (cancelled with it, mostly) has nothing left to end.
        }
    }
}
