using System.Net;
using CotProxy.Api;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Profiles;

namespace CotProxy.Tests.Support;

/// <summary>
/// The real proxy on a loopback port (our server, <see cref="ProxyHandler"/>, <see cref="Forwarder"/>, one
/// <see cref="UpstreamClient"/>) pointed at a test upstream, with short timeouts so failures show quickly.
/// </summary>
internal sealed class ProxyFixture : IAsyncDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly HttpServer _server;

    public ProxyFixture(Uri target, string? llmParams = null, TimeSpan? apiRequestTimeout = null, TimeSpan? healthTimeout = null)
    {
        var options = new ForwarderOptions
        {
            TargetBaseUrl = target,
            ApiRequestTimeout = apiRequestTimeout ?? TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            HealthTimeout = healthTimeout ?? TimeSpan.FromSeconds(5),
        };
        var warnings = new List<string>();
        var profiles = ProfileSet.Parse(llmParams, warnings);
        Assert.Empty(warnings);
        _invoker = UpstreamClient.Create(options.ConnectTimeout);
        var handler = new ProxyHandler(new Forwarder(_invoker, options), new HealthCheck(_invoker, options), profiles);
        _server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), handler, new HttpLimits());
        _server.Start();
    }

    public IPEndPoint EndPoint => _server.LocalEndPoint;

    public Task<RawConnection> ConnectAsync() => RawConnection.OpenAsync(EndPoint);

    /// <summary>Sends one raw request on a new connection and reads its response.</summary>
    public async Task<RawResponse> SendAsync(string request, bool headRequest = false)
    {
        using var connection = await ConnectAsync();
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync(headRequest);
    }

    /// <summary>Sends a request with a body given as bytes, framed by Content-Length.</summary>
    public async Task<RawResponse> SendAsync(string method, string target, string headers, byte[] body)
    {
        using var connection = await ConnectAsync();
        var head = $"{method} {target} HTTP/1.1\r\nHost: proxy.test\r\n{headers}Content-Length: {body.Length}\r\n\r\n";
        await connection.SendAsync([.. System.Text.Encoding.Latin1.GetBytes(head), .. body]);
        return await connection.ReadResponseAsync();
    }

    /// <summary>POSTs a JSON body (UTF-8) to <paramref name="target"/>.</summary>
    public Task<RawResponse> PostJsonAsync(string target, string json) =>
        SendAsync("POST", target, "Content-Type: application/json\r\n", System.Text.Encoding.UTF8.GetBytes(json));

    public Task<RawResponse> GetAsync(string target) => SendAsync($"GET {target} HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _invoker.Dispose();
    }

    /// <summary>A loopback port nothing listens on: bound, read, released.</summary>
    public static int UnusedPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
