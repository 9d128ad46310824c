using System.Net;
using CotProxy.Configuration;

namespace CotProxy.Tests.Support;

/// <summary>
/// The real proxy on a loopback port, started by <see cref="ProxyHost"/> as Program.cs starts it, pointed at a test
/// upstream, with short timeouts so failures show quickly.
/// </summary>
internal sealed class ProxyFixture : IAsyncDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentBag<System.Net.Sockets.Socket> s_refusingPorts = [];

    private readonly ProxyHost _host;

    public ProxyFixture(Uri target, string? llmParams = null, TimeSpan? apiRequestTimeout = null, TimeSpan? healthTimeout = null, int maxFilteredBodyMegabytes = ProxySettings.DefaultMaxFilteredBodyMegabytes)
    {
        var settings = new ProxySettings
        {
            TargetBaseUrl = target,
            ApiRequestTimeout = apiRequestTimeout ?? TimeSpan.FromSeconds(10),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            LlmParams = llmParams,
            MaxFilteredBodyBytes = maxFilteredBodyMegabytes * 1024 * 1024,
        };
        var warnings = new List<string>();
        var (profiles, responses) = ProxyHost.LoadProfiles(settings, warnings);
        Assert.Empty(warnings);
        _host = ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0), profiles, responses, healthTimeout: healthTimeout);
    }

    public IPEndPoint EndPoint => _host.LocalEndPoint;

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

    /// <summary>Begins the graceful stop the proxy makes on SIGTERM.</summary>
    public Task StopAsync(TimeSpan drainTimeout) => _host.StopAsync(drainTimeout);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>A loopback port nothing listens on: bound, read, released.</summary>
    /// <summary>
    /// A loopback port that refuses connections: bound, never listening, and held bound for the whole test run, so no
    /// test running beside it can start a server there (a released port once went to another test's server, which
    /// answered in place of the refusal).
    /// </summary>
    public static int UnusedPort()
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s_refusingPorts.Add(socket);
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
