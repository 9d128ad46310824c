using System.Net;

namespace CotProxy.Http;

/// <summary>One request and its response, as a handler sees them.</summary>
internal sealed class HttpContext : IDisposable
{
    private CancellationTokenSource? _upstreamTimeout;

    public HttpContext(HttpRequest request, RequestBody body, HttpResponse response)
    {
        Request = request;
        Body = body;
        Response = response;
    }

    public HttpRequest Request { get; }

    public RequestBody Body { get; }

    public HttpResponse Response { get; }

    public IPEndPoint? RemoteEndPoint { get; set; }

    /// <summary>Cancelled when the client goes away or the server stops hard; every upstream call takes it.</summary>
    public CancellationToken Aborted { get; set; }

    /// <summary>The model named by the request body, once a handler has read it (for the access log).</summary>
    public string? Model { get; set; }

    /// <summary>Set when the client disconnected before its response was complete.</summary>
    public bool ClientDisconnected { get; set; }

    /// <summary>
    /// The timer for this request's upstream waits, cancelled with <see cref="Aborted"/> too. Requests on a connection
    /// run one after another, so one source serves them all; one that fired is replaced.
    /// </summary>
    public CancellationTokenSource ResetUpstreamTimeout()
    {
        if (_upstreamTimeout is { } timeout && timeout.TryReset())
        {
            return timeout;
        }

        _upstreamTimeout?.Dispose();
        return _upstreamTimeout = CancellationTokenSource.CreateLinkedTokenSource(Aborted);
    }

    public void Dispose() => _upstreamTimeout?.Dispose();
}
