using CotProxy.Logging;

namespace CotProxy.Http.Server;

/// <summary>
/// One timer for the whole server that checks every connection's <see cref="Deadline"/>s, instead of a timer queue
/// entry armed and disarmed by every read (Kestrel enforces its timeouts from a heartbeat the same way). It ticks once
/// a second, or four times per shortest timeout in use when one is shorter than four seconds, so a timeout fires at
/// most a quarter of itself late.
/// </summary>
internal sealed class Heartbeat : IDisposable
{
    private const long MaxPeriodMs = 1000;
    private const long MinPeriodMs = 10;

    // Timeouts this long or longer are served by the slowest tick.
    private static readonly TimeSpan s_slowestPeriodCovers = TimeSpan.FromMilliseconds(4 * MaxPeriodMs);

    private readonly Action<long> _onTick;
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private long _periodMs = MaxPeriodMs;

    /// <param name="onTick">Called on each tick with <see cref="Environment.TickCount64"/>; it must not block.</param>
    public Heartbeat(Action<long> onTick)
    {
        _onTick = onTick;
        _timer = new Timer(static state => ((Heartbeat)state!).Tick(), this, MaxPeriodMs, MaxPeriodMs);
    }

    /// <summary>The time between ticks now.</summary>
    public TimeSpan Period => TimeSpan.FromMilliseconds(Volatile.Read(ref _periodMs));

    /// <summary>Makes the heartbeat tick often enough for a deadline <paramref name="timeout"/> away.</summary>
    public void Require(TimeSpan timeout)
    {
        // The common case, called for every wait, is one comparison.
        if (timeout >= s_slowestPeriodCovers)
        {
            return;
        }

        var wanted = Math.Clamp((long)(timeout.TotalMilliseconds / 4), MinPeriodMs, MaxPeriodMs);
        if (wanted >= Volatile.Read(ref _periodMs))
        {
            return;
        }

        lock (_lock)
        {
            if (wanted < _periodMs)
            {
                _periodMs = wanted;
                _timer.Change(wanted, wanted);
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        try
        {
            _onTick(Environment.TickCount64);
        }
        catch (Exception ex)
        {
            // A tick must never take the timer down with it: the next tick checks again.
            Log.Error($"heartbeat failed: {ExceptionText.Describe(ex)}");
        }
    }
}
