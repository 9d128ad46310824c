using System.Net;

namespace CotProxy.Http.Server;

/// <summary>One request and its response, as a handler sees them.</summary>
internal sealed class HttpContext
{
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

    public IPEndPoint? RemoteEndPoint { get; set; }

    /// <summary>Cancelled when the client goes away or the server stops hard; every upstream call takes it.</summary>
    public CancellationToken Aborted { get; set; }

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
