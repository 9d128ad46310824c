using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Server;

/// <summary>
/// Deadlines checked by the server's heartbeat instead of a timer per wait. Most tests call <see cref="Deadline.Check"/>
/// with chosen times, so they do not depend on how fast the machine is; the wire tests cover 408 and 504 end to end.
/// </summary>
public sealed class DeadlineTests : IDisposable
{
    private readonly Heartbeat _heartbeat = new(_ => { });

    public void Dispose() => _heartbeat.Dispose();

    [Fact]
    public void Check_BeforeTheDueTime_LeavesTheTokenAlone()
    {
        var deadline = new Deadline(_heartbeat);
        var now = Environment.TickCount64;
        deadline.CancelAfter(TimeSpan.FromSeconds(10));

        deadline.Check(now + 5_000);

        Assert.False(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void Check_AfterTheDueTime_CancelsTheToken()
    {
        var deadline = new Deadline(_heartbeat);
        var token = deadline.Token;
        deadline.CancelAfter(TimeSpan.FromSeconds(10));

        deadline.Check(Environment.TickCount64 + 10_001);

        Assert.True(token.IsCancellationRequested);
        Assert.True(deadline.IsCancellationRequested);
    }

    [Fact]
    public void CancelAfter_PartOfAMillisecond_RoundsUp()
    {
        // 10.0001 ms is due at 11 ms, never at 10: a wait may end late by a tick, never early.
        var deadline = new Deadline(_heartbeat);
        var now = Environment.TickCount64;
        deadline.CancelAfter(TimeSpan.FromTicks((10 * TimeSpan.TicksPerMillisecond) + 1));

        deadline.Check(now + 10);
        Assert.False(deadline.Token.IsCancellationRequested);
        deadline.Check(Environment.TickCount64 + 11);
        Assert.True(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void CancelAfter_TheLongestTimeSpan_DoesNotFireWithinAThousandYears()
    {
        var deadline = new Deadline(_heartbeat);
        deadline.CancelAfter(TimeSpan.MaxValue);

        deadline.Check(Environment.TickCount64 + (1000L * 365 * 24 * 3600 * 1000));

        Assert.False(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void Reset_AfterItFired_GivesAFreshToken()
    {
        var deadline = new Deadline(_heartbeat);
        var fired = deadline.Token;
        deadline.CancelAfter(TimeSpan.FromMilliseconds(1));
        deadline.Check(Environment.TickCount64 + 1_000);

        deadline.Reset();

        Assert.True(fired.IsCancellationRequested);
        Assert.False(deadline.Token.IsCancellationRequested);
        deadline.Check(Environment.TickCount64 + 100_000);
        Assert.False(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void CancelAfter_AfterItFired_TheWaitEndsAndResetStartsClean()
    {
        var deadline = new Deadline(_heartbeat);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(1));
        deadline.Check(Environment.TickCount64 + 1_000);

        // A wait armed again without a reset shares the fired source: its time had run out too.
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        Assert.True(deadline.Token.IsCancellationRequested);

        deadline.Reset();
        Assert.False(deadline.Token.IsCancellationRequested);
        deadline.Check(Environment.TickCount64 + 100_000);
        Assert.False(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void Reset_BeforeTheDueTime_DisarmsAndKeepsTheToken()
    {
        var deadline = new Deadline(_heartbeat);
        var token = deadline.Token;
        deadline.CancelAfter(TimeSpan.FromMilliseconds(100));

        deadline.Reset();
        deadline.Check(Environment.TickCount64 + 100_000);

        Assert.Equal(token, deadline.Token);
        Assert.False(token.IsCancellationRequested);
    }

    [Fact]
    public void CancelAfter_Again_MovesTheDueTime()
    {
        var deadline = new Deadline(_heartbeat);
        var now = Environment.TickCount64;
        deadline.CancelAfter(TimeSpan.FromMilliseconds(100));
        deadline.CancelAfter(TimeSpan.FromSeconds(60));

        deadline.Check(now + 1_000);
        Assert.False(deadline.Token.IsCancellationRequested);

        deadline.Check(now + 61_000);
        Assert.True(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void CancelAfter_HugeTimeout_NeverFires()
    {
        var deadline = new Deadline(_heartbeat);
        deadline.CancelAfter(TimeSpan.MaxValue);

        deadline.Check(Environment.TickCount64 + (long)TimeSpan.FromDays(3650).TotalMilliseconds);

        Assert.False(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public void LinkedToken_Cancelled_CancelsTheDeadlineToo()
    {
        using var aborted = new CancellationTokenSource();
        var deadline = new Deadline(_heartbeat, aborted.Token);
        deadline.CancelAfter(TimeSpan.FromHours(1));

        aborted.Cancel();

        Assert.True(deadline.Token.IsCancellationRequested);
    }

    [Theory]
    [InlineData(3_600_000, 1000)]
    [InlineData(2_000, 500)]
    [InlineData(300, 75)]
    [InlineData(1, 10)]
    public void Heartbeat_ShortTimeoutInUse_TicksAQuarterOfItApart(int timeoutMs, int periodMs)
    {
        using var heartbeat = new Heartbeat(_ => { });

        heartbeat.Require(TimeSpan.FromMilliseconds(timeoutMs));
        heartbeat.Require(TimeSpan.FromHours(2));

        Assert.Equal(TimeSpan.FromMilliseconds(periodMs), heartbeat.Period);
    }

    [Fact]
    public async Task Heartbeat_Ticking_CancelsADeadlineThatRanOut()
    {
        Deadline? deadline = null;
        using var heartbeat = new Heartbeat(now => deadline?.Check(now));
        deadline = new Deadline(heartbeat);
        var started = Environment.TickCount64;

        deadline.CancelAfter(TimeSpan.FromMilliseconds(200));
        var cancelled = new TaskCompletionSource();
        using var registration = deadline.Token.Register(cancelled.SetResult);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // At least the timeout, and (a 50 ms heartbeat) well before the 10 s the wait allows.
        Assert.InRange(Environment.TickCount64 - started, 190, 9_000);
    }

    [Fact]
    public async Task AlarmAt_DueTimePassed_QueuesTheAlarmOnceAndLeavesTheTokenAlone()
    {
        var deadline = new Deadline(_heartbeat);
        var alarm = new CountingAlarm();
        var now = Environment.TickCount64;
        deadline.AlarmAt(now + 1_000, TimeSpan.FromSeconds(1), alarm);

        deadline.Check(now + 500);
        deadline.Check(now + 1_000);
        deadline.Check(now + 2_000);

        await alarm.Rung.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(100);
        Assert.Equal(1, alarm.Count);
        Assert.False(deadline.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task DisarmAlarm_BeforeTheDueTime_AlarmNeverQueued()
    {
        var deadline = new Deadline(_heartbeat);
        var alarm = new CountingAlarm();
        var now = Environment.TickCount64;
        deadline.AlarmAt(now + 1_000, TimeSpan.FromSeconds(1), alarm);

        deadline.DisarmAlarm();
        deadline.Check(now + 2_000);

        await Task.Delay(100);
        Assert.Equal(0, alarm.Count);
    }

    [Fact]
    public async Task Reset_ForTheNextRequest_ForgetsTheAlarmOfTheResponseBefore()
    {
        var deadline = new Deadline(_heartbeat);
        var alarm = new CountingAlarm();
        var now = Environment.TickCount64;
        deadline.AlarmAt(now + 1_000, TimeSpan.FromSeconds(1), alarm);

        deadline.Reset();
        deadline.Check(now + 2_000);

        await Task.Delay(100);
        Assert.Equal(0, alarm.Count);
    }

    [Fact]
    public void AlarmAt_ShortInterval_HeartbeatTicksAQuarterOfItApart()
    {
        using var heartbeat = new Heartbeat(_ => { });
        var deadline = new Deadline(heartbeat);

        deadline.AlarmAt(Environment.TickCount64 + 200, TimeSpan.FromMilliseconds(200), new CountingAlarm());

        Assert.Equal(TimeSpan.FromMilliseconds(50), heartbeat.Period);
    }

    private sealed class CountingAlarm : IThreadPoolWorkItem
    {
        private int _count;

        public TaskCompletionSource Rung { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count => Volatile.Read(ref _count);

        public void Execute()
        {
            Interlocked.Increment(ref _count);
            Rung.TrySetResult();
        }
    }
}
