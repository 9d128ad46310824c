using System.IO.Pipelines;

namespace CotProxy.Http;

/// <summary>
/// The client side of a connection: its <see cref="PipeReader"/> and a reusable timer that bounds every wait on it.
/// While a response is produced, one read stays pending to notice a client that goes away; that same read then
/// becomes the first read of the next request, so watching costs no cancellation and no exception.
/// </summary>
internal sealed class ConnectionInput : IDisposable
{
    private CancellationTokenSource _timer = new();
    private Task<ReadResult>? _pending;

    public ConnectionInput(PipeReader reader)
    {
        Reader = reader;
    }

    public PipeReader Reader { get; }

    /// <summary>Reads with a bound on the wait; a wait longer than <paramref name="timeout"/> throws <see cref="TimeoutException"/>.</summary>
    public async ValueTask<ReadResult> ReadAsync(TimeSpan timeout)
    {
        _timer.CancelAfter(timeout);
        try
        {
            if (_pending is { } pending)
            {
                _pending = null;
                return await pending;
            }

            return await Reader.ReadAsync(_timer.Token);
        }
        catch (OperationCanceledException) when (_timer.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
        finally
        {
            // TryReset fails once the timer has fired; a fired timer is replaced so a late tick never cancels the next read.
            if (!_timer.TryReset())
            {
                _timer.Dispose();
                _timer = new CancellationTokenSource();
            }
        }
    }

    /// <summary>
    /// Starts the read that waits for the client's next bytes while a response is produced (no time bound until
    /// <see cref="ReadAsync"/> takes it over). <paramref name="onClosed"/> runs if the client ends its side first.
    /// </summary>
    public void StartWatching(Action onClosed)
    {
        if (_pending is not null)
        {
            return;
        }

        var pending = Reader.ReadAsync(_timer.Token).AsTask();
        _pending = pending;
        if (pending.IsCompleted)
        {
            NotifyIfClosed(pending, onClosed);
            return;
        }

        pending.ContinueWith(
            static (task, state) => NotifyIfClosed(task, (Action)state!),
            onClosed,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public void Dispose() => _timer.Dispose();

    private static void NotifyIfClosed(Task<ReadResult> read, Action onClosed)
    {
        // End of stream with nothing left to read, or a reset: the client is gone. nginx treats a client's FIN the same way (499).
        if (read.IsFaulted)
        {
            // Observed here so a reset connection does not surface later as an unobserved task exception.
            _ = read.Exception;
            onClosed();
        }
        // The task has completed here (a continuation, or checked before the call): reading its result does not block.
        else if (read is { IsCompletedSuccessfully: true, Result: { IsCompleted: true, IsCanceled: false } result } && result.Buffer.IsEmpty)
        {
            onClosed();
        }
    }
}
