using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Bench.SlowStreams;

/// <summary>
/// A paced OpenAI-style SSE upstream on raw sockets: every request (any method, any path) gets a chunked
/// <c>text/event-stream</c> of N chat-completion chunks, one every interval, then <c>data: [DONE]</c>.
/// Keep-alive is honoured so a proxy can pool its connections to it.
/// </summary>
internal sealed class SlowUpstream : IDisposable
{
    private static readonly byte[] s_head = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n");

    private readonly Socket _listener;
    private readonly int _intervalMs;
    private readonly byte[][] _events;
    private readonly byte[] _done;

    // think: every event but the last inside a think block (the first opens it, the last closes it).
    public SlowUpstream(int port, int events, int intervalMs, bool think = false)
    {
        _intervalMs = intervalMs;
        _events = new byte[events][];
        for (var i = 0; i < events; i++)
        {
            var json = "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + (think && i == 0 ? "<think>" : "") + (think && i == events - 1 ? "</think>" : "")
                + " token" + i.ToString(CultureInfo.InvariantCulture)
                + "\"},\"finish_reason\":null}]}";
            _events[i] = Chunk("data: " + json + "\n\n");
        }

        // RFC 9112 §7.1: the last chunk has size 0, then an empty trailer section.
        _done = [.. Chunk("data: [DONE]\n\n"), .. "0\r\n\r\n"u8];
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(4096);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _ = ServeAsync(socket, cancellationToken);
        }
    }

    public void Dispose() => _listener.Dispose();

    private static byte[] Chunk(string data)
    {
        var payload = Encoding.UTF8.GetBytes(data);
        var size = Encoding.ASCII.GetBytes(payload.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        return [.. size, .. payload, .. "\r\n"u8];
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        socket.NoDelay = true;
        var buffer = new byte[32 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                int headerEnd;
                while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    if (filled == buffer.Length)
                    {
                        return;
                    }

                    var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                }

                var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
                var consumed = headerEnd + 4;
                filled = await DiscardBodyAsync(socket, buffer, consumed, filled, head, cancellationToken);
                if (filled < 0)
                {
                    return;
                }

                await socket.SendAsync(s_head, SocketFlags.None, cancellationToken);
                foreach (var e in _events)
                {
                    await Task.Delay(_intervalMs, cancellationToken);
                    await socket.SendAsync(e, SocketFlags.None, cancellationToken);
                }

                await socket.SendAsync(_done, SocketFlags.None, cancellationToken);
                if (head.Contains("\r\nConnection: close", StringComparison.OrdinalIgnoreCase))
                {
                    return;
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Reads past the request body; returns how many bytes of the next request stay at the buffer's start, or -1 on close.</summary>
    private static async Task<int> DiscardBodyAsync(Socket socket, byte[] buffer, int consumed, int filled, string head, CancellationToken cancellationToken)
    {
        if (head.Contains("\r\nTransfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            // Bench-only shortcut: a JSON body never holds a raw CRLF, so the last-chunk marker ends it.
            int end;
            while ((end = buffer.AsSpan(consumed, filled - consumed).IndexOf("0\r\n\r\n"u8)) < 0)
            {
                var keep = Math.Min(4, filled - consumed);
                buffer.AsSpan(filled - keep, keep).CopyTo(buffer);
                consumed = 0;
                filled = keep;
                var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return -1;
                }

                filled += n;
            }

            consumed += end + 5;
        }
        else
        {
            long remaining = ContentLength(head);
            var inBuffer = Math.Min(remaining, filled - consumed);
            consumed += (int)inBuffer;
            remaining -= inBuffer;
            while (remaining > 0)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0)
                {
                    return -1;
                }

                var used = (int)Math.Min(remaining, n);
                remaining -= used;
                consumed = used;
                filled = n;
            }
        }

        var left = filled - consumed;
        buffer.AsSpan(consumed, left).CopyTo(buffer);
        return left;
    }

    private static long ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return long.Parse(line.AsSpan("Content-Length:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
