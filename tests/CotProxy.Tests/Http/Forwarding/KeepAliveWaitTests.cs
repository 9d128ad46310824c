using System.Threading.Tasks.Sources;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Forwarding;

/// <summary>The wait of a filtered stream inside a hidden thought: the read or the keep-alive's alarm, whichever first.</summary>
public sealed class KeepAliveWaitTests : IDisposable
{
    private readonly Heartbeat _heartbeat = new(_ => { });

    public void Dispose() => _heartbeat.Dispose();

    [Fact]
    public void WaitAsync_ReadCompletesFirst_TrueAndNothingAllocatedPerWait()
    {
        var deadline = new Deadline(_heartbeat);
        var wait = new KeepAliveWait(deadline, TimeSpan.FromMinutes(10));
        var read = new ManualRead();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(1, OneWait(wait, read));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            OneWait(wait, read);
        }

        // Before, each such wait made a Task (AsTask), a Task.WhenAny promise and, until it fired, a Task.Delay.
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task WaitAsync_AlarmRingsBeforeTheRead_FalseThenTrueOnceTheReadCompletes()
    {
        var deadline = new Deadline(_heartbeat);
        var wait = new KeepAliveWait(deadline, TimeSpan.FromMilliseconds(1));
        var read = new ManualRead();
        read.Reset();
        wait.Watch(read.Task);
        await Task.Delay(20);

        // Due already: no alarm needed, the copy sends a keep-alive at once.
        Assert.False(await wait.WaitAsync());
        wait.KeepAliveSent();
        var pending = wait.WaitAsync();
        Assert.False(pending.IsCompleted);
        await Task.Delay(20);
        deadline.Check(Environment.TickCount64);
        Assert.False(await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        read.Complete(7);
        Assert.True(await wait.WaitAsync());
        Assert.Equal(7, await wait.TakeRead());
    }

    [Fact]
    public async Task WaitAsync_StaleAlarmBeforeTheDueTime_KeepsWaiting()
    {
        var deadline = new Deadline(_heartbeat);
        var wait = new KeepAliveWait(deadline, TimeSpan.FromMinutes(10));
        var read = new ManualRead();
        read.Reset();
        wait.Watch(read.Task);
        var pending = wait.WaitAsync();

        // An alarm from an earlier due time, queued just as this wait began: not due yet, so not a keep-alive.
        ((IThreadPoolWorkItem)wait).Execute();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);

        read.Complete(3);
        Assert.True(await pending);
        Assert.Equal(3, await wait.TakeRead());
    }

    private static int OneWait(KeepAliveWait wait, ManualRead read)
    {
        read.Reset();
        wait.Watch(read.Task);
        var waiting = wait.WaitAsync();
        var early = waiting.IsCompleted;
        read.Complete(1);
        // The read's completion ends the wait at once, on its own thread (no await here: nothing of the test's own allocates).
        var ended = waiting.IsCompleted && waiting.Result;
        var taken = wait.TakeRead();
        return !early && ended && taken.IsCompleted ? taken.Result : -1;
    }

    /// <summary>A read that completes when told, reusable as SocketsHttpHandler's pooled reads are.</summary>
    private sealed class ManualRead : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core;

        public ValueTask<int> Task => new(this, _core.Version);

        public void Reset() => _core.Reset();

        public void Complete(int bytes) => _core.SetResult(bytes);

        public int GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
