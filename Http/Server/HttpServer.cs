using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using CotProxy.Logging;

namespace CotProxy.Http.Server;

/// <summary>
/// The listener: accepts TCP connections and runs each as an <see cref="HttpConnection"/>. Stopping closes the
/// listener, lets in-flight requests finish within a bound, then aborts whatever is left.
/// </summary>
internal sealed class HttpServer : IAsyncDisposable
{
    // The kernel caps this at net.core.somaxconn; bursts of thousands of streams must not be refused at accept time.
    private const int ListenBacklog = 4096;

    // After a failed accept the loop waits this long, doubling while accepts keep failing for lack of descriptors.
    private const int AcceptRetryMs = 10;
    private const int MaxAcceptBackoffMs = 1000;

    // A run of failed accepts ends once accepts have worked this long without a failure: near the limit, every freed
    // descriptor lets one accept through before the next fails, and that must not log a pair of lines each time.
    private const int AcceptRecoveredMs = 1000;

    private readonly IHttpHandler _handler;
    private readonly IErrorResponseWriter _errors;
    private readonly HttpLimits _limits;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<HttpConnection, byte> _connections = new();
    private readonly Socket _listener;
    private readonly string? _name;
    private readonly Heartbeat _heartbeat;
    private readonly ProxyMetrics? _metrics;
    private Task? _acceptLoop;

    /// <param name="endpoint">Where to listen; port 0 picks a free one (<see cref="LocalEndPoint"/> says which).</param>
    /// <param name="handler">Answers every request that parses.</param>
    /// <param name="limits">Sizes and timeouts every connection enforces.</param>
    /// <param name="errors">The shape of the errors the server writes itself (rejections, a failed handler); plain text when null.</param>
    /// <param name="name">Tells this server's access-log lines apart from another's in the same process.</param>
    /// <param name="metrics">Where connections and requests are counted, if anywhere.</param>
    public HttpServer(IPEndPoint endpoint, IHttpHandler handler, HttpLimits limits, IErrorResponseWriter? errors = null, string? name = null, ProxyMetrics? metrics = null)
    {
        _metrics = metrics;
        _name = name;
        _handler = handler;
        _errors = errors ?? PlainTextErrorWriter.Instance;
        _limits = limits;
        _heartbeat = new Heartbeat(OnHeartbeat);
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
        {
            _listener.DualMode = true;
        }

        // No ReuseAddress: on Linux .NET turns it into SO_REUSEPORT too, and a second instance on the same port would then
        // start happily and take half the connections. .NET already sets SO_REUSEADDR on Unix listeners by itself, so a
        // restart still binds while old connections sit in TIME_WAIT.
        _listener.Bind(endpoint);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Start()
    {
        _listener.Listen(ListenBacklog);
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Stops accepting, waits up to <paramref name="drainTimeout"/> for in-flight requests, then aborts the rest.</summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _listener.Close();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        var deadline = Environment.TickCount64 + (long)drainTimeout.TotalMilliseconds;
        while (!_connections.IsEmpty && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20);
        }

        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        var abortDeadline = Environment.TickCount64 + 2000;
        while (!_connections.IsEmpty && Environment.TickCount64 < abortDeadline)
        {
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _heartbeat.Dispose();
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        // A run of failed accepts is logged twice, when it starts and when it is over (AcceptRecoveredMs), never per failure.
        var failures = 0;
        var failingSince = 0L;
        var lastFailure = 0L;
        var failure = "";
        var delayMs = AcceptRetryMs;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || _stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient accept failures (a client that reset before accept, descriptor exhaustion) must not stop the
                // server. Out of descriptors, every accept fails until some close: back off, doubling up to a second, as
                // nginx stops accepting for a while on EMFILE/ENFILE (ngx_event_accept), so the loop neither spins nor floods the log.
                lastFailure = Environment.TickCount64;
                if (failures++ == 0)
                {
                    failingSince = lastFailure;
                    failure = DescribeAcceptError(ex.SocketErrorCode);
                    Log.Warn($"accept failed ({failure}); retrying with back-off up to {MaxAcceptBackoffMs} ms, further failures are counted, not logged");
                }

                var exhausted = ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;
                try
                {
                    await Task.Delay(exhausted ? delayMs : AcceptRetryMs, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delayMs = exhausted ? Math.Min(delayMs * 2, MaxAcceptBackoffMs) : AcceptRetryMs;
                continue;
            }

            delayMs = AcceptRetryMs;
            if (failures > 0 && Environment.TickCount64 - lastFailure >= AcceptRecoveredMs)
            {
                Log.Info($"accepting again: {failures} accept error(s) ({failure}) in the last {(Environment.TickCount64 - failingSince) / 1000.0:0.#} s");
                failures = 0;
            }

            socket.NoDelay = true;
            var connection = new HttpConnection(socket, _handler, _errors, _limits, _heartbeat, _stopping.Token, _name, _metrics);
            _connections.TryAdd(connection, 0);
            _metrics?.ConnectionOpened();
            _ = RunConnectionAsync(connection);
        }
    }

    private static string DescribeAcceptError(SocketError error) => error switch
    {
        SocketError.TooManyOpenSockets => "too many open files: the descriptor limit (ulimit -n) is reached",
        SocketError.NoBufferSpaceAvailable => "no buffer space: the kernel is out of socket memory",
        _ => error.ToString(),
    };

    private void OnHeartbeat(long now)
    {
        // Enumerating the dictionary itself takes no lock and copies nothing (its Keys property would do both).
        foreach (var (connection, _) in _connections)
        {
            connection.OnHeartbeat(now);
        }
    }

    private async Task RunConnectionAsync(HttpConnection connection)
    {
        try
        {
            // Yield first so the accept loop is never held up by a connection's synchronous start.
            await Task.Yield();
            await connection.RunAsync();
        }
        catch (Exception ex)
        {
            Log.Error($"connection failed: {ExceptionText.Describe(ex)}");
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            _metrics?.ConnectionClosed();
            connection.Dispose();
        }
    }
}
