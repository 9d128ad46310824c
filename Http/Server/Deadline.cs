namespace CotProxy.Http.Server;

/// <summary>
/// A cancellation source that a <see cref="Heartbeat"/> cancels once its due time has passed. Arming and disarming it
/// writes one number; no timer is touched per wait. One deadline serves the waits of a connection one after another; a
/// source that was cancelled is replaced when the deadline is reset.
/// </summary>
internal sealed class Deadline
{
    // Due times are Environment.TickCount64 values (ms); these two lie beyond any of them.
    private const long Disarmed = long.MaxValue;
    private const long Firing = long.MaxValue - 1;

    private readonly Heartbeat _heartbeat;
    private readonly CancellationToken _linked;
    private CancellationTokenSource _source;
    private long _due = Disarmed;

    // A second due time on the same ticks, for a wait that must be woken rather than ended (a filtered stream's keep-alive
    // inside a hidden thought, BodyCopier): it queues a work item instead of cancelling, so the read it runs beside goes on.
    private IThreadPoolWorkItem? _alarm;
    private long _alarmDue = Disarmed;

    /// <param name="heartbeat">The server's one timer, which fires every deadline that is due.</param>
    /// <param name="linked">When it is cancelled, <see cref="Token"/> is cancelled too.</param>
    public Deadline(Heartbeat heartbeat, CancellationToken linked = default)
    {
        _heartbeat = heartbeat;
        _linked = linked;
        _source = CreateSource();
    }

    public CancellationToken Token => _source.Token;

    /// <summary>The deadline passed or the linked token was cancelled.</summary>
    public bool IsCancellationRequested => _source.IsCancellationRequested;

    /// <summary>Arms the deadline <paramref name="timeout"/> from now, replacing any earlier due time.</summary>
    public void CancelAfter(TimeSpan timeout)
    {
        _heartbeat.Require(timeout);
        var now = Environment.TickCount64;
        // Whole milliseconds, rounded up, in integers (no floating point on a path every read takes).
        var ticks = timeout.Ticks;
        var ms = (ticks / TimeSpan.TicksPerMillisecond) + (ticks % TimeSpan.TicksPerMillisecond > 0 ? 1 : 0);
        var due = ms >= Firing - now ? Firing - 1 : now + ms;
        if (Interlocked.Exchange(ref _due, due) == Firing)
        {
            // The heartbeat is cancelling the source of the wait before, which this wait shares: it ends too, its time had
            // run out. The mark stays, so Reset replaces the source even if the cancel has not landed yet.
            Volatile.Write(ref _due, Firing);
        }
    }

    /// <summary>Disarms the deadline; a source that was (or is being) cancelled is replaced, so the next wait starts clean.</summary>
    public void Reset()
    {
        // The alarm too: a wait of the response before must neither ring nor be kept alive by this deadline.
        Volatile.Write(ref _alarmDue, Disarmed);
        _alarm = null;
        if (Interlocked.Exchange(ref _due, Disarmed) == Firing || _source.IsCancellationRequested)
        {
            var spent = _source;
            _source = CreateSource();
            spent.Dispose();
        }
    }

    /// <summary>
    /// Queues <paramref name="alarm"/> to the thread pool once <see cref="Environment.TickCount64"/> reaches
    /// <paramref name="due"/>, at most a quarter of <paramref name="interval"/> late, unless disarmed or re-armed first.
    /// The alarm may still come after that (armed just before): it checks the time itself.
    /// </summary>
    public void AlarmAt(long due, TimeSpan interval, IThreadPoolWorkItem alarm)
    {
        _heartbeat.Require(interval);
        _alarm = alarm;
        Volatile.Write(ref _alarmDue, due);
    }

    public void DisarmAlarm() => Volatile.Write(ref _alarmDue, Disarmed);

    /// <summary>Called by the heartbeat: cancels the source when the due time has passed, and rings the alarm when its has.</summary>
    public void Check(long now)
    {
        // The due time first: the alarm read after it is the one armed with it, or a later one (whose due time the
        // exchange then finds changed).
        var alarmDue = Volatile.Read(ref _alarmDue);
        var alarm = _alarm;
        if (now >= alarmDue && Interlocked.CompareExchange(ref _alarmDue, Disarmed, alarmDue) == alarmDue && alarm is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(alarm, preferLocal: false);
        }

        var source = _source;
        var due = Volatile.Read(ref _due);
        if (now < due || due >= Firing || Interlocked.CompareExchange(ref _due, Firing, due) != due)
        {
            return;
        }

        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The owner replaced the source between our look and the cancel: the wait it bounded is over.
        }
    }

    private CancellationTokenSource CreateSource() =>
        _linked.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(_linked) : new CancellationTokenSource();
}
