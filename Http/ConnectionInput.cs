using System.IO.Pipelines;

namespace CotProxy.Http;

/// <summary>The client side of a connection: its <see cref="PipeReader"/> and a reusable timer that bounds every wait on it.</summary>
internal sealed class ConnectionInput : IDisposable
{
    private CancellationTokenSource _timer = new();

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

    public void Dispose() => _timer.Dispose();
}
