namespace CotProxy.Http;

/// <summary>Routes each request: the proxy's own endpoints, else forwarding (with JSON bodies read and checked first).</summary>
internal sealed class ProxyHandler : IHttpHandler
{
    private readonly Forwarder _forwarder;
    private readonly HealthCheck _health;

    public ProxyHandler(Forwarder forwarder, HealthCheck health)
    {
        _forwarder = forwarder;
        _health = health;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.SequenceEqual("/health") && request.Method is "GET" or "HEAD")
        {
            await _health.HandleAsync(context);
            return;
        }

        if (request.HasBody && JsonRequestInspector.IsJsonContentType(request.GetHeader(HeaderNames.ContentType)))
        {
            await ForwardJsonAsync(context);
            return;
        }

        await _forwarder.ForwardAsync(context, bufferedBody: null);
    }

    private async Task ForwardJsonAsync(HttpContext context)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        if (!JsonRequestInspector.TryInspect(body.Span, out var model, out var error))
        {
            await OpenAiError.WriteAsync(context.Response, 400, $"Invalid JSON in request body ({error}).", "invalid_request_error", "invalid_json", context.Aborted);
            return;
        }

        context.Model = model;
        if (Log.DebugEnabled)
        {
            DebugLog.Request(context, body.Span);
        }

        await _forwarder.ForwardAsync(context, body.Memory);
    }
}
