using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace CotProxy.Http.Server;

/// <summary>
/// The client side of a connection: its <see cref="PipeReader"/> and the deadline that bounds every wait on it.
/// While a response is produced, one read stays pending to notice a client that goes away; that same read then
/// becomes the first read of the next request, so watching costs no cancellation and no exception.
/// </summary>
internal sealed class ConnectionInput
{
    private ValueTask<ReadResult>? _pending;

    public ConnectionInput(PipeReader reader, Deadline deadline)
    {
        Reader = reader;
        Deadline = deadline;
    }

    public PipeReader Reader { get; }

    public Deadline Deadline { get; }

    /// <summary>Reads with a bound on the wait; a wait longer than <paramref name="timeout"/> throws <see cref="TimeoutException"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadResult> ReadAsync(TimeSpan timeout)
    {
        Deadline.CancelAfter(timeout);
        try
        {
            if (_pending is { } pending)
            {
                _pending = null;
                return await pending;
            }

            return await Reader.ReadAsync(Deadline.Token);
        }
        catch (OperationCanceledException) when (Deadline.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
        finally
        {
            Deadline.Reset();
        }
    }

    /// <summary>Takes what the reader already holds, without waiting; false when it holds nothing or a read is pending.</summary>
    public bool TryRead(out ReadResult result)
    {
        if (_pending is null && Reader.TryRead(out result))
        {
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>
    /// Starts the read that waits for the client's next bytes while a response is produced (no time bound until
    /// <see cref="ReadAsync"/> takes it over). <paramref name="onClosed"/> runs if the client ends its side first.
    /// </summary>
    public void StartWatching(Action onClosed)
    {
        if (_pending is null)
        {
            // Kept, not awaited here: ReadAsync awaits it exactly once, as the next request's first read.
#pragma warning disable CA2012
            _pending = WatchAsync(onClosed);
#pragma warning restore CA2012
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> WatchAsync(Action onClosed)
    {
        ReadResult result;
        try
        {
            result = await Reader.ReadAsync(Deadline.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A reset: the client is gone. The read that takes this one over sees the same exception.
            onClosed();
            throw;
        }

        // End of stream with nothing left to read: the client is gone. nginx treats a client's FIN the same way (499).
        if (result is { IsCompleted: true, IsCanceled: false } && result.Buffer.IsEmpty)
        {
            onClosed();
        }

        return result;
    }
}
