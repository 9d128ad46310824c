namespace CotProxy.Buffers;

/// <summary>
/// Gives back the memory of large buffers once a burst of large requests is over. The GC runs only when a process
/// allocates, so after a few 30 MiB bodies an idle proxy would keep hundreds of MiB of dead arrays indefinitely; one
/// compacting collection a second after the last large buffer was released returns them to the system.
/// </summary>
internal static class LargeBufferCollector
{
    private static readonly TimeSpan s_delay = TimeSpan.FromSeconds(1);
    private static Timer? s_timer;
    private static int s_pending;

    /// <summary>A large buffer died: collect once the burst is over (the timer restarts with every call).</summary>
    public static void NoteReleased()
    {
        Interlocked.Exchange(ref s_pending, 1);
        var timer = Volatile.Read(ref s_timer) ?? CreateTimer();
        timer.Change(s_delay, Timeout.InfiniteTimeSpan);
    }

    private static Timer CreateTimer()
    {
        var created = new Timer(static _ => Collect(), null, Timeout.Infinite, Timeout.Infinite);
        var existing = Interlocked.CompareExchange(ref s_timer, created, null);
        if (existing is null)
        {
            return created;
        }

        created.Dispose();
        return existing;
    }

    private static void Collect()
    {
        if (Interlocked.Exchange(ref s_pending, 0) == 1)
        {
            // Aggressive: decommit the freed regions too, so RSS falls, not only the heap size.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }
}
