namespace CotProxy.Http.Server;

/// <summary>Answers one parsed request. The connection owns framing, keep-alive and errors raised before the response starts.</summary>
internal interface IHttpHandler
{
    ValueTask HandleAsync(HttpContext context);
}
