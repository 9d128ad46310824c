using System.Net;
using CotProxy.Logging;

namespace CotProxy.Http.Server;

/// <summary>One request and its response, as a handler sees them.</summary>
internal sealed class HttpContext
{
    private IPEndPoint? _remoteEndPoint;
    private string? _remoteAddressText;

    public HttpContext(HttpRequest request, RequestBody body, HttpResponse response, Deadline upstreamDeadline)
    {
        Request = request;
        Body = body;
        Response = response;
        UpstreamDeadline = upstreamDeadline;
    }

    public HttpRequest Request { get; }

    public RequestBody Body { get; }

    public HttpResponse Response { get; }

    public IPEndPoint? RemoteEndPoint
    {
        get => _remoteEndPoint;
        set
        {
            _remoteEndPoint = value;
            _remoteAddressText = null;
        }
    }

    /// <summary>
    /// The peer's address as text, made once per connection (its requests share this context); an IPv4-mapped IPv6
    /// peer (a dual-stack listener's IPv4 client) as its IPv4 address. Null when the peer is not an IP endpoint.
    /// </summary>
    public string? RemoteAddressText => _remoteAddressText ??= _remoteEndPoint?.Address is { } address
        ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
        : null;

    /// <summary>Cancelled when the client goes away or the server stops hard; every upstream call takes it.</summary>
    public CancellationToken Aborted { get; set; }

    /// <summary>The request's id (X-Request-Id), when the handler gave it one: in its response head and its log lines.</summary>
    public string? RequestId { get; set; }

    /// <summary>What the current request contributes to the metrics, when the server keeps them; reset per request.</summary>
    public RequestStats? Stats { get; init; }

    /// <summary>The model named by the request body, once a handler has read it (for the access log).</summary>
    public string? Model { get; set; }

    /// <summary>Set when the client disconnected before its response was complete.</summary>
    public bool ClientDisconnected { get; set; }

    /// <summary>
    /// Bounds this request's upstream waits and is cancelled with <see cref="Aborted"/> too. Requests on a connection
    /// run one after another, so one deadline serves them all.
    /// </summary>
    public Deadline UpstreamDeadline { get; }

    /// <summary>The upstream deadline, disarmed and ready for a new request.</summary>
    public Deadline ResetUpstreamTimeout()
    {
        UpstreamDeadline.Reset();
        return UpstreamDeadline;
    }
}
