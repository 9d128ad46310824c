using System.Net;
using System.Net.Sockets;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>An upstream that accepts one connection and records every byte the proxy sends on it until the proxy closes it.</summary>
internal sealed class ConnectionRecorder : IDisposable
{
    private readonly TcpListener _listener;
    private readonly Task<byte[]> _recording;

    public ConnectionRecorder()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _recording = RecordAsync();
    }

    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Everything received, once the proxy has closed (or reset) the connection.</summary>
    public Task<byte[]> ClosedAsync(TimeSpan timeout) => _recording.WaitAsync(timeout);

    public void Dispose() => _listener.Stop();

    private async Task<byte[]> RecordAsync()
    {
        using var socket = await _listener.AcceptSocketAsync();
        var received = new List<byte>();
        var buffer = new byte[65536];
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
            // A reset ends the connection as surely as a close.
        }

        return [.. received];
    }
}
