using System.Net;
using CotProxy.Api;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Support;

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
