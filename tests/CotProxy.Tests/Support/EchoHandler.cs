using CotProxy.Http.Server;

namespace CotProxy.Tests.Support;

/// <summary>Answers every request with its method, target and body, so a test sees what the server understood.</summary>
internal sealed class EchoHandler : IHttpHandler
{
    public async ValueTask HandleAsync(HttpContext context)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        var head = System.Text.Encoding.ASCII.GetBytes($"{context.Request.Method} {context.Request.Target} ");
        var bytes = new byte[head.Length + body.Length];
        head.CopyTo(bytes, 0);
        body.WrittenSpan.CopyTo(bytes.AsSpan(head.Length));
        context.Response.Headers.Add(new("Content-Type", "text/plain"));
        context.Response.Start(200, bytes.Length);
        context.Response.Write(bytes);
        await context.Response.CompleteAsync(context.Aborted);
    }
}
