using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Tests.Support;

/// <summary>
/// A tiny HTTP forward proxy on a loopback socket, as squid or tinyproxy behave for what the tests need: a
/// <c>CONNECT host:port</c> gets <c>200</c> and a tunnel; a request in absolute form (<c>POST http://host:port/path</c>)
/// goes on to that host as it came (servers must accept absolute form, RFC 9112 §3.2.2), and the connection is piped
/// both ways from then on. It records the request line that opened each connection.
/// </summary>
internal sealed class ForwardProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _requestLines = new();
    private readonly Task _acceptLoop;
    private int _challenges;

    public ForwardProxy()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>
    /// When set (<c>user:password</c>), a request without that <c>Proxy-Authorization: Basic</c> gets <c>407</c> with
    /// <c>Proxy-Authenticate: Basic</c> (RFC 9110 §11.7.1), as squid with basic authentication does.
    /// </summary>
    public string? RequiredCredentials { get; init; }

    /// <summary>The request lines that were answered 407.</summary>
    public int Challenges => Volatile.Read(ref _challenges);

    /// <summary>The first request line of every connection made to the proxy so far.</summary>
    public IReadOnlyList<string> RequestLines => [.. _requestLines];

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The listener was stopped under the pending accept.
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // Either side went away: the tunnel simply ends.
                }
                finally
                {
                    client.Dispose();
                }
            });
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken token)
    {
        var buffer = new byte[16384];
        var length = 0;
        int headEnd;
        string head;
        while (true)
        {
            while ((headEnd = IndexOfHeadEnd(buffer.AsSpan(0, length))) < 0)
            {
                var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token);
                if (read == 0)
                {
                    return;
                }

                length += read;
            }

            head = Encoding.Latin1.GetString(buffer, 0, headEnd);
            if (RequiredCredentials is null || head.Contains("\r\nProxy-Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(RequiredCredentials)) + "\r\n", StringComparison.OrdinalIgnoreCase))
            {
                break;
            }

            // The client may answer the challenge on this connection or on a new one.
            Interlocked.Increment(ref _challenges);
            await client.SendAsync("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), SocketFlags.None, token);
            // The refused request's body is read and dropped, so the next request starts at the buffer's start.
            var consumed = headEnd + ContentLength(head);
            while (length < consumed)
            {
                var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, token);
                if (read == 0)
                {
                    return;
                }

                length += read;
            }

            buffer.AsSpan(consumed, length - consumed).CopyTo(buffer);
            length -= consumed;
        }

        var requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
        _requestLines.Enqueue(requestLine);
        var parts = requestLine.Split(' ');
        using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (parts[0] == "CONNECT")
        {
            var authority = parts[1];
            var colon = authority.LastIndexOf(':');
            await upstream.ConnectAsync(authority[..colon].Trim('[', ']'), int.Parse(authority[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), token);
            await client.SendAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), SocketFlags.None, token);
            await upstream.SendAsync(buffer.AsMemory(headEnd, length - headEnd), SocketFlags.None, token);
        }
        else
        {
            var target = new Uri(parts[1]);
            await upstream.ConnectAsync(target.DnsSafeHost, target.Port, token);
            await upstream.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, token);
        }

        await Task.WhenAny(PipeAsync(client, upstream, token), PipeAsync(upstream, client, token));
    }

    private static async Task PipeAsync(Socket from, Socket to, CancellationToken token)
    {
        var buffer = new byte[16384];
        int read;
        while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
        {
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
        }

        to.Shutdown(SocketShutdown.Send);
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

    /// <summary>The offset just past the head's blank line, or -1 while it has not arrived.</summary>
    private static int IndexOfHeadEnd(ReadOnlySpan<byte> bytes)
    {
        var index = bytes.IndexOf("\r\n\r\n"u8);
        return index < 0 ? -1 : index + 4;
    }
}
