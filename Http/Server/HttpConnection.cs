using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using CotProxy.Logging;

namespace CotProxy.Http.Server;

/// <summary>
/// One client connection: reads request heads off a <see cref="PipeReader"/>, hands each request to the handler, and
/// keeps the connection for the next one (keep-alive and pipelining, answered in order) until either side ends it.
/// </summary>
internal sealed class HttpConnection : IDisposable
{
    private readonly Socket _socket;
    private const long MaxLingerBytes = 1024 * 1024;

    // nginx lingers up to 30 s (lingering_time); a client that still sends after a rejection gets a second here.
    private static readonly TimeSpan s_lingerTime = TimeSpan.FromSeconds(1);

    private readonly IHttpHandler _handler;
    private readonly IErrorResponseWriter _errors;
    private readonly HttpLimits _limits;
    private readonly Heartbeat _heartbeat;
    private readonly CancellationToken _stopping;
    private readonly CancellationTokenSource _abort = new();
    private readonly string? _name;
    private readonly ProxyMetrics? _metrics;
    private ConnectionInput? _input;
    private HttpContext? _context;
    private Action? _onClientClosed;
    private bool _lingerOnClose;

    // When the current request's first byte arrived: its access-log duration starts here, not when the connection
    // began waiting for it, so the idle time of a keep-alive connection is not counted.
    private long _requestStart;

    public HttpConnection(Socket socket, IHttpHandler handler, IErrorResponseWriter errors, HttpLimits limits, Heartbeat heartbeat, CancellationToken stopping, string? name = null, ProxyMetrics? metrics = null)
    {
        _metrics = metrics;
        _heartbeat = heartbeat;
        _name = name;
        _socket = socket;
        _handler = handler;
        _errors = errors;
        _limits = limits;
        _stopping = stopping;
    }

    /// <summary>Ends the connection now: in-flight upstream calls are cancelled and the socket closed.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
            _socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // Already closed by the connection itself.
        }
    }

    public void Dispose() => _abort.Dispose();

    /// <summary>Called by the server's heartbeat: cancels the waits whose time is up.</summary>
    public void OnHeartbeat(long now)
    {
        _input?.Deadline.Check(now);
        _context?.UpstreamDeadline.Check(now);
    }

    public async Task RunAsync()
    {
        // Zero-byte reads: an idle connection holds no buffer until bytes arrive (Kestrel does the same), which is what
        // keeps thousands of waiting streams small.
        PipeReader reader = new SocketPipeReader(_socket);
        var writer = new SocketPipeWriter(_socket);
        var input = new ConnectionInput(reader, new Deadline(_heartbeat));
        _input = input;
        var request = new HttpRequest();
        var body = new RequestBody(input, _limits);
        var response = new HttpResponse(writer);
        // A client that goes away ends its connection, so one token serves every request on it.
        var context = new HttpContext(request, body, response, new Deadline(_heartbeat, _abort.Token))
        {
            RemoteEndPoint = _socket.RemoteEndPoint as IPEndPoint,
            Aborted = _abort.Token,
            Stats = _metrics is null ? null : new RequestStats(),
        };
        _context = context;
        body.Completed = StartWatchingClient;

        // On a graceful stop, a connection waiting for its next request wakes up and closes; one busy with a request
        // finishes it and tells the client the connection ends (RFC 9112 §9.6).
        using var stopRegistration = _stopping.Register(static state =>
        {
            var (pipe, current) = ((PipeReader, HttpResponse))state!;
            current.CloseRequested = true;
            pipe.CancelPendingRead();
        }, (reader, response));

        try
        {
            var first = true;
            while (!_abort.IsCancellationRequested)
            {
                _requestStart = Stopwatch.GetTimestamp();
                bool hasRequest;
                try
                {
                    hasRequest = await ReadHeadAsync(input, request, first);
                }
                catch (HttpRejection rejection)
                {
                    await RejectAsync(context, rejection, _requestStart);
                    _lingerOnClose = true;
                    break;
                }

                if (!hasRequest)
                {
                    break;
                }

                first = false;
                await ProcessRequestAsync(context, _requestStart);
                if (!response.KeepAlive || _stopping.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away or the connection was aborted: there is nobody left to answer.
        }
        finally
        {
            if (_lingerOnClose)
            {
                await LingerAsync(reader);
            }

            await reader.CompleteAsync();
            try
            {
                await writer.CompleteAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // Flushing the last bytes to a client that already left: nothing to report.
            }

            Close();
        }
    }

    /// <summary>Shuts both directions down, then closes, as disposing a NetworkStream that owns its socket does.</summary>
    private void Close()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer already reset, or Abort closed the socket: closing is all that is left.
        }

        _socket.Dispose();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadHeadAsync(ConnectionInput input, HttpRequest request, bool first)
    {
        // The first request must arrive within the headers timeout of the accept; a later one within the idle timeout.
        long? deadline = first ? Environment.TickCount64 + (long)_limits.RequestHeadersTimeout.TotalMilliseconds : null;
        var reader = input.Reader;
        var started = false;
        while (true)
        {
            var timeout = deadline is { } d ? TimeSpan.FromMilliseconds(Math.Max(1, d - Environment.TickCount64)) : _limits.KeepAliveTimeout;
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout);
            }
            catch (TimeoutException)
            {
                if (deadline is null)
                {
                    return false;
                }

                throw HttpRejection.Create(RejectionReason.HeadersTimeout);
            }

            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                reader.AdvanceTo(buffer.Start, buffer.Start);
                if (_stopping.IsCancellationRequested && buffer.IsEmpty)
                {
                    return false;
                }

                continue;
            }

            if (buffer.IsEmpty && result.IsCompleted)
            {
                return false;
            }

            deadline ??= Environment.TickCount64 + (long)_limits.RequestHeadersTimeout.TotalMilliseconds;
            if (!started)
            {
                _requestStart = Stopwatch.GetTimestamp();
                started = true;
            }

            var sequenceReader = new SequenceReader<byte>(buffer);
            bool complete;
            try
            {
                complete = HttpRequestParser.TryParseHead(ref sequenceReader, request, _limits);
            }
            catch
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            if (complete)
            {
                reader.AdvanceTo(sequenceReader.Position);
                return true;
            }

            // Incomplete: everything was examined, so the next read waits for new bytes instead of spinning.
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return false;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ProcessRequestAsync(HttpContext context, long start)
    {
        var request = context.Request;
        var response = context.Response;
        response.Reset(request, context.Body, request.KeepAlive && !_stopping.IsCancellationRequested);
        context.Body.Reset(request, response);
        context.Model = null;
        context.ClientDisconnected = false;
        context.RequestId = null;
        context.Stats?.Reset(start);
        _metrics?.RequestStarted();
        _handler.BeginRequest(context);
        response.RequestId = context.RequestId;
        try
        {
            if (request.ContentLength > _limits.MaxRequestBodyBytes)
            {
                throw HttpRejection.Create(RejectionReason.BodyTooLarge, _limits);
            }

            if (context.Body.IsComplete)
            {
                StartWatchingClient();
            }

            await _handler.HandleAsync(context);

            if (!response.HasStarted)
            {
                await _errors.WriteErrorAsync(response, 500, "The request produced no response.", null, context.Aborted);
            }
            else if (!response.IsCompleted)
            {
                await response.CompleteAsync(context.Aborted);
            }
        }
        catch (HttpRejection rejection) when (!response.HasStarted)
        {
            response.KeepAlive = false;
            await WriteRejectionAsync(response, rejection);
            _lingerOnClose = true;
        }
        catch (Exception ex) when (!response.HasStarted && !_abort.IsCancellationRequested && ex is not (IOException or SocketException))
        {
            Log.Error($"{request.Method} {Log.Target(request.Target)}: {ExceptionText.Describe(ex)}", context.RequestId);
            response.KeepAlive = false;
            await _errors.WriteErrorAsync(response, 500, "The proxy failed while handling the request.", null, CancellationToken.None);
        }
        catch (Exception ex) when (response.HasStarted || _abort.IsCancellationRequested || ex is IOException or SocketException)
        {
            // After the head went out, a failure can only be shown by closing without the final chunk: a truncated body, never a clean end.
            response.KeepAlive = false;
            context.ClientDisconnected |= _abort.IsCancellationRequested;
        }
        finally
        {
            var status = context.ClientDisconnected ? 499 : response.HasStarted ? response.StatusCode : 499;
            Log.Access(_name, request.Method, request.Target, context.Model, status, response.BodyBytes, Stopwatch.GetElapsedTime(start).TotalMilliseconds, context.RequestId);
            if (context.Stats is { } stats)
            {
                _metrics!.RequestEnded(stats, context.Model, status);
            }
        }
    }

    private async Task RejectAsync(HttpContext context, HttpRejection rejection, long start)
    {
        context.Response.Reset(context.Request, context.Body, keepAlive: false);
        context.Body.Reset(context.Request, context.Response);
        try
        {
            await WriteRejectionAsync(context.Response, rejection);
        }
        finally
        {
            Log.Access(_name, context.Request.Method.Length > 0 ? context.Request.Method : "-", context.Request.Target.Length > 0 ? context.Request.Target : "-", null, rejection.StatusCode, context.Response.BodyBytes, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (context.Stats is { } stats)
            {
                // A head that could not be read has no route: counted as other, with no model.
                stats.Reset(start);
                _metrics!.RequestStarted();
                _metrics.RequestEnded(stats, null, rejection.StatusCode);
            }
        }
    }

    private ValueTask WriteRejectionAsync(HttpResponse response, HttpRejection rejection) =>
        _errors.WriteErrorAsync(response, rejection.StatusCode, rejection.Message, rejection.Reason.ToString(), CancellationToken.None);

    /// <summary>
    /// After a rejection the client may still be sending (the rest of a head or body the server refused). Closing with
    /// those bytes unread makes the kernel answer with a reset, which can destroy the response before the client reads
    /// it; so, as nginx's lingering_close, the server stops sending and reads and discards for a moment first.
    /// </summary>
    private async Task LingerAsync(PipeReader reader)
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
            using var linger = new CancellationTokenSource(s_lingerTime);
            long discarded = 0;
            while (discarded < MaxLingerBytes)
            {
                var result = await reader.ReadAsync(linger.Token);
                discarded += result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client closed or stayed silent: either way the response had its chance to arrive.
        }
    }

    private void StartWatchingClient() => _input?.StartWatching(_onClientClosed ??= OnClientClosed);

    private void OnClientClosed()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection had already ended.
        }
    }
}
