using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CotProxy.Bench.Soak;

/// <summary>
/// One client connection to the proxy, kept alive across requests, with a raw HTTP/1.1 response reader that tells a
/// whole response from a cut one: Content-Length reached or the last chunk seen (RFC 9112 §6.3, §7.1) is whole, a
/// connection that ends before is cut.
/// </summary>
internal sealed class Exchange : IDisposable
{
    private readonly IPEndPoint _proxy;
    private readonly TimeSpan _hangTimeout;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private Socket? _socket;
    private int _start;
    private int _end;
    private long _received;
    private long _vanishAt;

    public Exchange(IPEndPoint proxy, TimeSpan hangTimeout)
    {
        _proxy = proxy;
        _hangTimeout = hangTimeout;
    }

    public void Dispose() => Close(reset: false);

    /// <summary>
    /// Sends one request and reads its response. <paramref name="fault"/> is the upstream fault asked for ("none",
    /// "close-P", "reset-P"); <paramref name="vanishAt"/> the number of response bytes after which the client closes
    /// the socket (long.MaxValue: never). With a null <paramref name="reference"/> the body is only returned.
    /// </summary>
    public async Task<(Outcome Outcome, byte[]? Body)> RunAsync(RequestKind kind, string fault, long vanishAt, bool vanishWithReset, byte[]? reference)
    {
        var body = Bodies.Request(kind);
        var head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer sk-soak\r\n"
            + "X-Soak-Body: " + (Bodies.IsStream(kind) ? "sse" : "json") + "\r\nX-Soak-Fault: " + fault + "\r\nContent-Length: "
            + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n";
        var injected = fault != "none";
        try
        {
            if (_socket is null)
            {
                _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using var timeout = new CancellationTokenSource(_hangTimeout);
                try
                {
                    await _socket.ConnectAsync(_proxy, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    // A proxy that stops accepting leaves the connect waiting in its backlog: a hang too.
                    throw new ExchangeAbortedException(Outcome.FailHang);
                }
            }

            _start = _end = 0;
            _received = 0;
            _vanishAt = vanishAt;
            await _socket.SendAsync((byte[])[.. Encoding.ASCII.GetBytes(head), .. body], SocketFlags.None);
            if (vanishAt == 0)
            {
                throw new ExchangeAbortedException(Outcome.ClientVanished);
            }

            return await ReadResponseAsync(injected, reference);
        }
        catch (ExchangeAbortedException aborted)
        {
            Close(reset: aborted.Outcome == Outcome.ClientVanished && vanishWithReset);
            return (aborted.Outcome, null);
        }
        catch (SocketException)
        {
            // A reset from the proxy (or a refused connect) during our send or read: the response is cut.
            Close(reset: false);
            return (injected ? Outcome.CutBeforeStatus : Outcome.FailSpuriousCut, null);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidDataException)
        {
            // An unparseable status line, Content-Length or chunk size.
            Close(reset: false);
            return (Outcome.FailOther, null);
        }
    }

    private async Task<(Outcome, byte[]?)> ReadResponseAsync(bool injected, byte[]? reference)
    {
        var cut = injected ? Outcome.CutBeforeStatus : Outcome.FailSpuriousCut;
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await ReceiveAsync())
            {
                Close(reset: false);
                return (cut, null);
            }
        }

        var head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;
        var lines = head.Split("\r\n");
        var status = lines[0].Length >= 12 && int.TryParse(lines[0].AsSpan(9, 3), CultureInfo.InvariantCulture, out var s) ? s : 0;
        long contentLength = -1;
        var chunked = false;
        var close = false;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return Fail();
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.Parse(value, CultureInfo.InvariantCulture);
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Equals("chunked", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                close = value.Equals("close", StringComparison.OrdinalIgnoreCase);
            }
        }

        if (status == 0)
        {
            return Fail();
        }

        var body = new MemoryStream();
        bool complete;
        if (chunked)
        {
            complete = await ReadChunkedAsync(body);
        }
        else if (contentLength >= 0)
        {
            complete = await ReadLengthAsync(body, contentLength);
        }
        else
        {
            // Close-delimited (RFC 9112 §6.3 item 8): a cut cannot be told from the end. Judged by the bytes alone below.
            while (await ReceiveAsync())
            {
            }

            body.Write(_buffer, _start, _end - _start);
            _start = _end;
            close = true;
            complete = true;
        }

        var bytes = body.ToArray();
        if (!complete)
        {
            Close(reset: false);
            if (!injected)
            {
                return (Outcome.FailSpuriousCut, bytes);
            }

            // A cut 200 must hold the start of the whole body and nothing else; an error status's body is its own.
            return status != 200 ? (Outcome.CutErrorStatus, bytes)
                : reference is null || reference.AsSpan().StartsWith(bytes) ? (Outcome.CutMidBody, bytes)
                : (Outcome.FailCutNotPrefix, bytes);
        }

        if (_start != _end)
        {
            // Nothing was pipelined: bytes after a complete response are not ours.
            return Fail();
        }

        if (close)
        {
            Close(reset: false);
        }

        if (status != 200)
        {
            return (injected ? Outcome.CutErrorStatus : Outcome.FailSpuriousCut, bytes);
        }

        return reference is not null && !reference.AsSpan().SequenceEqual(bytes) ? (Outcome.FailLooksWholeIsNot, bytes)
            : (injected ? Outcome.WholeDespiteFault : Outcome.Whole, bytes);
    }

    private (Outcome, byte[]?) Fail()
    {
        Close(reset: false);
        return (Outcome.FailOther, null);
    }

    private async Task<bool> ReadLengthAsync(MemoryStream body, long length)
    {
        while (true)
        {
            var take = (int)Math.Min(length - body.Length, _end - _start);
            body.Write(_buffer, _start, take);
            _start += take;
            if (body.Length == length)
            {
                return true;
            }

            if (!await ReceiveAsync())
            {
                return false;
            }
        }
    }

    private async Task<bool> ReadChunkedAsync(MemoryStream body)
    {
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                if (!await ReceiveAsync())
                {
                    return false;
                }
            }

            var line = Encoding.ASCII.GetString(_buffer, _start, lineEnd);
            var semicolon = line.IndexOf(';', StringComparison.Ordinal);
            var size = int.Parse(semicolon >= 0 ? line[..semicolon] : line, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            _start += lineEnd + 2;
            if (size == 0)
            {
                // The trailer section: header lines, then an empty line.
                while (true)
                {
                    while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
                    {
                        if (!await ReceiveAsync())
                        {
                            return false;
                        }
                    }

                    _start += lineEnd + 2;
                    if (lineEnd == 0)
                    {
                        return true;
                    }
                }
            }

            while (_end - _start < size + 2)
            {
                if (!await ReceiveAsync())
                {
                    body.Write(_buffer, _start, Math.Min(size, _end - _start));
                    return false;
                }
            }

            body.Write(_buffer, _start, size);
            _start += size + 2;
        }
    }

    /// <summary>Reads more bytes; false at the end of the stream. Throws to vanish on purpose or when nothing comes in time.</summary>
    private async Task<bool> ReceiveAsync()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("a response line or chunk larger than the client's buffer");
        }

        var room = (int)Math.Min(_buffer.Length - _end, Math.Max(1, _vanishAt - _received));
        using var timeout = new CancellationTokenSource(_hangTimeout);
        int n;
        try
        {
            n = await _socket!.ReceiveAsync(_buffer.AsMemory(_end, room), SocketFlags.None, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new ExchangeAbortedException(Outcome.FailHang);
        }

        _end += n;
        _received += n;
        if (n > 0 && _received >= _vanishAt)
        {
            throw new ExchangeAbortedException(Outcome.ClientVanished);
        }

        return n > 0;
    }

    private void Close(bool reset)
    {
        if (_socket is null)
        {
            return;
        }

        if (reset)
        {
            // SO_LINGER with a zero timeout: close sends an RST, as a killed client's kernel may.
            _socket.LingerState = new LingerOption(true, 0);
        }

        _socket.Dispose();
        _socket = null;
    }
}
