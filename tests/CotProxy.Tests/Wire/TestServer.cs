using System.Net;
using CotProxy.Api;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Wire;

/// <summary>
/// Our HTTP server on a loopback port chosen by the kernel, running a given handler. Its own errors (rejections) take
/// the OpenAI shape, as the proxy's server writes them, unless the test names another writer.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly HttpServer _server;

    public TestServer(IHttpHandler handler, HttpLimits? limits = null, IErrorResponseWriter? errors = null)
    {
        _server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), handler, limits ?? new HttpLimits(), errors ?? OpenAiErrorWriter.Instance);
        _server.Start();
    }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public Uri BaseUrl => new($"http://127.0.0.1:{EndPoint.Port}/");

    public HttpServer Server => _server;

    public Task<RawConnection> ConnectAsync() => RawConnection.OpenAsync(EndPoint);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}

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
