using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>A loopback client that reads a response piece by piece, so a test can see what has arrived so far.</summary>
internal sealed class IncrementalConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly StringBuilder _received = new();

    private IncrementalConnection(Socket socket)
    {
        _socket = socket;
    }

    public string Received => _received.ToString();

    public static async Task<IncrementalConnection> OpenAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Port));
        return new IncrementalConnection(socket);
    }

    public async Task SendAsync(string ascii) => await _socket.SendAsync(Encoding.Latin1.GetBytes(ascii), SocketFlags.None);

    /// <summary>Reads until everything received so far (Latin-1) contains <paramref name="marker"/>, and returns it.</summary>
    public async Task<string> ReadUntilAsync(string marker, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[8192];
        while (!Received.Contains(marker, StringComparison.Ordinal))
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{marker}' did not arrive in time. Received so far: {Received}");
            }

            if (n == 0)
            {
                throw new IOException($"Connection closed before '{marker}' arrived. Received: {Received}");
            }

            _received.Append(Encoding.Latin1.GetString(buffer, 0, n));
        }

        return Received;
    }

    public void Dispose() => _socket.Dispose();
}
