using System.Net;
using System.Net.Sockets;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// An upstream on blocking sockets that answers every request (a head plus its Content-Length body) with the same
/// bytes; it allocates nothing per request, so measurements through it see the proxy alone.
/// </summary>
internal sealed class CannedUpstream : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly byte[] _response;
    private int _accepted;

    public CannedUpstream(byte[] response)
    {
        _response = response;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        new Thread(Accept) { IsBackground = true }.Start();
    }

    /// <summary>Connections the proxy opened so far.</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public void Dispose() => _listener.Dispose();

    private void Accept()
    {
        try
        {
            while (true)
            {
                var socket = _listener.Accept();
                Interlocked.Increment(ref _accepted);
                new Thread(() => Serve(socket)) { IsBackground = true }.Start();
            }
        }
        catch (SocketException)
        {
            // Disposed: the test is over.
        }
        catch (ObjectDisposedException)
        {
            // Disposed: the test is over.
        }
    }

    private void Serve(Socket socket)
    {
        var buffer = new byte[16384];
        var length = 0;
        try
        {
            while (true)
            {
                var n = socket.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
                if (n == 0)
                {
                    return;
                }

                length += n;
                while (TryTakeMessage(buffer, ref length))
                {
                    socket.Send(_response);
                }
            }
        }
        catch (SocketException)
        {
            // The proxy closed its pooled connection.
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Takes one message framed by Content-Length (a request or a response) off the front of the buffer.</summary>
    internal static bool TryTakeMessage(byte[] buffer, ref int length)
    {
        var span = buffer.AsSpan(0, length);
        var end = span.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return false;
        }

        var head = span[..end];
        var at = head.IndexOf("Content-Length: "u8);
        var bodyLength = 0;
        if (at >= 0)
        {
            var digits = head[(at + 16)..];
            for (var i = 0; i < digits.Length && digits[i] is >= (byte)'0' and <= (byte)'9'; i++)
            {
                bodyLength = (bodyLength * 10) + (digits[i] - '0');
            }
        }

        var total = end + 4 + bodyLength;
        if (length < total)
        {
            return false;
        }

        span[total..].CopyTo(buffer);
        length -= total;
        return true;
    }
}
