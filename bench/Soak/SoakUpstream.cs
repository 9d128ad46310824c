using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Bench.Soak;

/// <summary>
/// The fake model server, on raw sockets with keep-alive. The request's <c>X-Soak-Body</c> picks the response:
/// <c>json</c>, a chat completion with Content-Length; <c>sse</c>, the think-block stream, chunked, sent in batches of
/// random size with short random pauses (so the proxy sees it split differently every time). <c>X-Soak-Fault:
/// close-P</c> or <c>reset-P</c> makes it die after P per mille of the response's bytes (head included): a FIN, or an
/// RST (SO_LINGER 0). An idle kept-alive connection is closed after 5 s, so the proxy's pool drains when the load stops.
/// </summary>
internal sealed class SoakUpstream : IDisposable
{
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly byte[][] _events;
    private readonly byte[] _jsonHead;

    public SoakUpstream(int port, byte[] sse)
    {
        _events = SplitEvents(sse);
        _jsonHead = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + Bodies.Completion.Length.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n");
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _listener.Listen(4096);
    }

    /// <summary>The SSE body exactly as the upstream sends it, decoded: what an unfiltered stream must deliver.</summary>
    public byte[] SseBody => [.. _events.SelectMany(e => e)];

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

    private static byte[][] SplitEvents(byte[] sse)
    {
        var events = new List<byte[]>();
        var rest = sse.AsSpan();
        int end;
        while ((end = rest.IndexOf("\n\n"u8)) >= 0)
        {
            events.Add(rest[..(end + 2)].ToArray());
            rest = rest[(end + 2)..];
        }

        return [.. events];
    }

    private static byte[] Chunk(ReadOnlySpan<byte> payload)
    {
        var size = Encoding.ASCII.GetBytes(payload.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n");
        return [.. size, .. payload, .. "\r\n"u8];
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        socket.NoDelay = true;
        var buffer = new byte[16 * 1024];
        var filled = 0;
        var reset = false;
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

                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    idle.CancelAfter(s_idleTimeout);
                    var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, idle.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    filled += n;
                }

                var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
                var consumed = headerEnd + 4;
                var length = (int)Header(head, "Content-Length", 0);
                while (filled - consumed < length)
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

                consumed += length;
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;

                var segments = HeaderText(head, "X-Soak-Body") == "sse" ? SseSegments() : [_jsonHead, Bodies.Completion];
                var fault = HeaderText(head, "X-Soak-Fault") ?? "none";
                var cutAt = long.MaxValue;
                if (fault.StartsWith("close-", StringComparison.Ordinal) || fault.StartsWith("reset-", StringComparison.Ordinal))
                {
                    var perMille = int.Parse(fault.AsSpan(6), CultureInfo.InvariantCulture);
                    cutAt = segments.Sum(s => (long)s.Length) * perMille / 1000;
                    reset = fault[0] == 'r';
                }

                long sent = 0;
                for (var i = 0; i < segments.Count; i++)
                {
                    var segment = segments[i];
                    if (sent + segment.Length > cutAt)
                    {
                        if (cutAt > sent)
                        {
                            await socket.SendAsync(segment.AsMemory(0, (int)(cutAt - sent)), SocketFlags.None, cancellationToken);
                        }

                        // Die here: the rest of the response never comes.
                        return;
                    }

                    await socket.SendAsync(segment, SocketFlags.None, cancellationToken);
                    sent += segment.Length;
                    if (i > 0 && i < segments.Count - 1 && segments.Count > 2)
                    {
                        var pause = Random.Shared.Next(0, 12);
                        if (pause > 0)
                        {
                            await Task.Delay(pause, cancellationToken);
                        }
                    }
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (OperationCanceledException)
        {
            // The idle timeout or the end of the run.
        }
        finally
        {
            if (reset)
            {
                // SO_LINGER with a zero timeout: close sends an RST instead of a FIN.
                socket.LingerState = new LingerOption(true, 0);
            }

            socket.Dispose();
        }
    }

    private List<byte[]> SseSegments()
    {
        var segments = new List<byte[]>
        {
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"u8.ToArray(),
        };
        var i = 0;
        while (i < _events.Length)
        {
            var take = Math.Min(Random.Shared.Next(1, 9), _events.Length - i);
            segments.Add(Chunk([.. _events.Skip(i).Take(take).SelectMany(e => e)]));
            i += take;
        }

        // RFC 9112 §7.1: the last chunk has size 0, then an empty trailer section.
        segments.Add("0\r\n\r\n"u8.ToArray());
        return segments;
    }

    private static string? HeaderText(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.Length > name.Length && line[name.Length] == ':' && line.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }

        return null;
    }

    private static long Header(string head, string name, long fallback)
        => HeaderText(head, name) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
