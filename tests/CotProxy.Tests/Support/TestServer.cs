using System.Net;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Support;

/// <summary>Our HTTP server on a loopback port chosen by the kernel, running a given handler.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly HttpServer _server;

    public TestServer(IHttpHandler handler, HttpLimits? limits = null)
    {
        _server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), handler, limits ?? new HttpLimits());
        _server.Start();
    }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public Uri BaseUrl => new($"http://127.0.0.1:{EndPoint.Port}/");

    public HttpServer Server => _server;

    public Task<RawConnection> ConnectAsync() => RawConnection.OpenAsync(EndPoint);

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}
