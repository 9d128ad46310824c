namespace CotProxy.Http.Server;

/// <summary>Answers one parsed request. The connection owns framing, keep-alive and errors raised before the response starts.</summary>
internal interface IHttpHandler
{
    ValueTask HandleAsync(HttpContext context);

    /// <summary>
    /// Called once a request's head is parsed, before anything else is done with it (even a rejection of its body): the
    /// handler may name the request (<see cref="HttpContext.RequestId"/>) and label it for the metrics.
    /// </summary>
    void BeginRequest(HttpContext context)
    {
    }
}
