using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Tests.Support;

/// <summary>A real TCP client that sends raw bytes and reads raw responses, for asserting exactly what goes over the wire.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];

    private RawConnection(Socket socket)
    {
        _socket = socket;
    }

    public static async Task<RawConnection> OpenAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Port));
        return new RawConnection(socket);
    }

    /// <summary>Connects to exactly <paramref name="endpoint"/> (an IPv6 one too), where <see cref="OpenAsync"/> always uses 127.0.0.1.</summary>
    public static async Task<RawConnection> OpenToAddressAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint);
        return new RawConnection(socket);
    }

    public Task SendAsync(string ascii) => SendAsync(Encoding.Latin1.GetBytes(ascii));

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until the server closes the connection (or the timeout passes) and returns everything as Latin-1 text.</summary>
    public async Task<string> ReadToEndAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }

                _pending.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("The server did not close the connection in time. Received so far: " + Encoding.Latin1.GetString([.. _pending]));
        }
        catch (SocketException)
        {
            // A reset after the response: what arrived before it is the answer.
        }

        var text = Encoding.Latin1.GetString([.. _pending]);
        _pending.Clear();
        return text;
    }

    /// <summary>True when the server closed the connection within the timeout (reads return 0 or reset).</summary>
    public async Task<bool> IsClosedByServerAsync(int timeoutMs)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return true;
                }

                _pending.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Reads exactly one response (head plus a Content-Length or chunked body, or none) and returns it as text.</summary>
    public async Task<RawResponse> ReadResponseAsync(bool headRequest = false, int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var headEnd = await FillUntilAsync(() => IndexOf(_pending, "\r\n\r\n"u8) is var i && i >= 0 ? i + 4 : -1, cts.Token);
        var head = Encoding.Latin1.GetString(_pending.GetRange(0, headEnd).ToArray());
        _pending.RemoveRange(0, headEnd);
        var response = RawResponse.ParseHead(head);
        if (headRequest || response.Status is < 200 or 204 or 304)
        {
            return response;
        }

        if (response.Header("Content-Length") is { } lengthText)
        {
            var length = int.Parse(lengthText, System.Globalization.CultureInfo.InvariantCulture);
            await FillUntilAsync(() => _pending.Count >= length ? length : -1, cts.Token);
            response.Body = Encoding.Latin1.GetString(_pending.GetRange(0, length).ToArray());
            _pending.RemoveRange(0, length);
            return response;
        }

        if (string.Equals(response.Header("Transfer-Encoding"), "chunked", StringComparison.OrdinalIgnoreCase))
        {
            var end = await FillUntilAsync(() => IndexOf(_pending, "\r\n0\r\n\r\n"u8) is var i && i >= 0 ? i + 7 : (StartsWith(_pending, "0\r\n\r\n"u8) ? 5 : -1), cts.Token);
            var raw = Encoding.Latin1.GetString(_pending.GetRange(0, end).ToArray());
            _pending.RemoveRange(0, end);
            response.RawChunkedBody = raw;
            response.Body = RawResponse.DecodeChunked(raw);
            return response;
        }

        response.Body = await ReadToEndAsync(timeoutMs);
        return response;
    }

    public void Dispose() => _socket.Dispose();

    private async Task<int> FillUntilAsync(Func<int> find, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        while (true)
        {
            var found = find();
            if (found >= 0)
            {
                return found;
            }

            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("Incomplete response: " + Encoding.Latin1.GetString([.. _pending]));
            }

            if (n == 0)
            {
                throw new IOException("Connection closed before the response was complete: " + Encoding.Latin1.GetString([.. _pending]));
            }

            _pending.AddRange(buffer.AsSpan(0, n));
        }
    }

    private static int IndexOf(List<byte> haystack, ReadOnlySpan<byte> needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Count; i++)
        {
            var match = true;
            for (var j = 0; j < needle.Length && match; j++)
            {
                match = haystack[i + j] == needle[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }

    private static bool StartsWith(List<byte> haystack, ReadOnlySpan<byte> needle)
    {
        if (haystack.Count < needle.Length)
        {
            return false;
        }

        for (var j = 0; j < needle.Length; j++)
        {
            if (haystack[j] != needle[j])
            {
                return false;
            }
        }

        return true;
    }
}
