using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Tests.Support;

/// <summary>
/// A misbehaving upstream on a raw loopback socket: for each connection it reads the request head (and a
/// Content-Length body), then runs a script that writes whatever bytes the test wants, or nothing at all.
/// No HTTP server frames its answer, so it can send broken heads, cut bodies or silence; for a valid response
/// written in timed pieces, use <see cref="PiecewiseUpstream"/>.
/// </summary>
internal sealed class RawUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<Socket, CancellationToken, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _acceptLoop;
    private readonly bool _readBody;
    private int _requests;

    /// <param name="script">What the upstream does with each accepted connection.</param>
    /// <param name="readBody">False runs the script as soon as the head has arrived, before any Content-Length body.</param>
    public RawUpstream(Func<Socket, CancellationToken, Task> script, bool readBody = true)
    {
        _script = script;
        _readBody = readBody;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>How many request heads the upstream has read.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A script that writes <paramref name="bytes"/> (Latin-1) and closes the connection.</summary>
    public static Func<Socket, CancellationToken, Task> WriteAndClose(string bytes) => async (socket, token) =>
    {
        await socket.SendAsync(Encoding.Latin1.GetBytes(bytes), SocketFlags.None, token);
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
    };

    /// <summary>A script that writes <paramref name="bytes"/> (Latin-1), then reads and discards whatever the proxy still sends.</summary>
    public static Func<Socket, CancellationToken, Task> WriteAndDrain(string bytes) => async (socket, token) =>
    {
        await socket.SendAsync(Encoding.Latin1.GetBytes(bytes), SocketFlags.None, token);
        var buffer = new byte[65536];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, token) > 0)
        {
        }
    };

    /// <summary>A script that writes <paramref name="bytes"/> (Latin-1) and then holds the connection open, silent.</summary>
    public static Func<Socket, CancellationToken, Task> WriteAndHang(string bytes) => async (socket, token) =>
    {
        if (bytes.Length > 0)
        {
            await socket.SendAsync(Encoding.Latin1.GetBytes(bytes), SocketFlags.None, token);
        }

        await Task.Delay(Timeout.Infinite, token);
    };

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        await _acceptLoop;
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_sockets)
            {
                _sockets.Add(socket);
            }

            _ = RunAsync(socket);
        }
    }

    private async Task RunAsync(Socket socket)
    {
        try
        {
            await ReadRequestAsync(socket, _readBody, _stop.Token);
            Interlocked.Increment(ref _requests);
            await _script(socket, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            // The test ended or the proxy went away: the script has nothing left to do.
        }
    }

    private static async Task ReadRequestAsync(Socket socket, bool readBody, CancellationToken token)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        var headEnd = -1;
        var bodyLength = 0;
        while (headEnd < 0 || received.Count < headEnd + bodyLength)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (n == 0)
            {
                throw new IOException("The proxy closed the connection before sending a whole request.");
            }

            received.AddRange(buffer.AsSpan(0, n));
            if (headEnd < 0)
            {
                var text = Encoding.Latin1.GetString([.. received]);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    headEnd = end + 4;
                    bodyLength = readBody ? ContentLength(text[..end]) : 0;
                }
            }
        }
    }

    private static int ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
