using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using CotProxy.Logging;

namespace CotProxy.Http.Server;

/// <summary>
/// Writes one response to the client's <see cref="PipeWriter"/>: status line and headers, then the body framed by
/// Content-Length, chunked transfer coding (RFC 9112 §7.1) or, for HTTP/1.0 clients, by closing the connection.
/// </summary>
internal sealed class HttpResponse
{
    private readonly PipeWriter _writer;
    private HttpRequest _request = null!;
    private RequestBody _body = null!;
    private Framing _framing;
    private long _remaining;
    private Memory<byte> _reservedChunk;

    public HttpResponse(PipeWriter writer)
    {
        _writer = writer;
    }

    private const int ChunkPrefixLength = 6;
    private const int ChunkOverhead = ChunkPrefixLength + 2;
    private const int MaxDirectChunk = 0xFFFF;
    private const int MinDirectRead = 1024;

    private enum Framing
    {
        None,
        ContentLength,
        Chunked,
        CloseDelimited,
    }

    public bool HasStarted { get; private set; }

    public bool IsCompleted { get; private set; }

    public int StatusCode { get; private set; }

    public long BodyBytes { get; private set; }

    /// <summary>True when the body is framed by Content-Length.</summary>
    public bool IsLengthKnown => _framing == Framing.ContentLength;

    /// <summary>True once a body framed by Content-Length has all its bytes: nothing more may be written.</summary>
    public bool IsBodyComplete => _framing == Framing.ContentLength && _remaining == 0;

    /// <summary>Whether the connection stays open after this response; cleared by anything that forbids reuse.</summary>
    public bool KeepAlive { get; set; }

    public List<KeyValuePair<string, string>> Headers { get; } = new(16);

    /// <summary>Set when the server is stopping: the response that starts next says <c>Connection: close</c>.</summary>
    public bool CloseRequested { get; set; }

    /// <summary>Called once, just before the head is written, whoever starts the response (as Kestrel's OnStarting); cleared per request.</summary>
    public IResponseStartingHook? StartingHook { get; set; }

    /// <summary>When set, sent as <c>X-Request-Id</c> in the head, in place of any the handler's headers carry.</summary>
    public string? RequestId { get; set; }

    public void Reset(HttpRequest request, RequestBody body, bool keepAlive)
    {
        _request = request;
        _body = body;
        _framing = Framing.None;
        _remaining = 0;
        HasStarted = false;
        IsCompleted = false;
        StatusCode = 0;
        BodyBytes = 0;
        KeepAlive = keepAlive;
        StartingHook = null;
        RequestId = null;
        Headers.Clear();
    }

    public ValueTask<FlushResult> WriteContinueAsync(CancellationToken cancellationToken)
    {
        if (HasStarted || !_request.IsHttp11)
        {
            return ValueTask.FromResult(default(FlushResult));
        }

        _writer.Write(HttpConstants.Continue100);
        return _writer.FlushAsync(cancellationToken);
    }

    /// <summary>Writes the status line and <see cref="Headers"/>. A null <paramref name="contentLength"/> streams the body.</summary>
    public void Start(int statusCode, long? contentLength)
    {
        if (HasStarted)
        {
            throw new InvalidOperationException("The response has already started.");
        }

        HasStarted = true;
        StatusCode = statusCode;
        StartingHook?.OnStarting(_request, this);
        if (RequestId is { } requestId)
        {
            SetRequestId(requestId);
        }

        // An unread request body leaves the connection unusable for the next request.
        if (!_body.IsComplete || CloseRequested)
        {
            KeepAlive = false;
        }

        // RFC 9110 §6.4.1: HEAD, 1xx, 204 and 304 responses have no body, whatever their headers say.
        var noBody = _request.IsHead || statusCode is < 200 or 204 or 304;
        if (noBody)
        {
            _framing = Framing.None;
        }
        else if (contentLength is { } length)
        {
            _framing = Framing.ContentLength;
            _remaining = length;
        }
        else if (_request.IsHttp11)
        {
            _framing = Framing.Chunked;
        }
        else
        {
            // RFC 9112 §6.3: an HTTP/1.0 client learns where an unknown-length body ends from the connection closing.
            _framing = Framing.CloseDelimited;
            KeepAlive = false;
        }

        WriteStatusLine(statusCode);
        WriteHeaders(Headers);

        if (contentLength is { } declared && statusCode is not (< 200 or 204 or 304))
        {
            WriteHeader("Content-Length"u8, declared);
        }

        if (_framing == Framing.Chunked)
        {
            WriteHeader("Transfer-Encoding"u8, "chunked"u8);
        }

        if (!KeepAlive)
        {
            WriteHeader("Connection"u8, "close"u8);
        }
        else if (!_request.IsHttp11)
        {
            WriteHeader("Connection"u8, "keep-alive"u8);
        }

        _writer.Write(HttpConstants.CrLf);
    }

    /// <summary>
    /// One X-Request-Id per response, the one the proxy logged. A handler's (the upstream's) own id goes back as
    /// X-Upstream-Request-Id when it differs, so an upstream's id for a support ticket is not lost; the same one is dropped.
    /// </summary>
    private void SetRequestId(string requestId)
    {
        var headers = CollectionsMarshal.AsSpan(Headers);
        for (var i = 0; i < headers.Length; i++)
        {
            var (name, value) = headers[i];
            if (name.Equals(HeaderNames.RequestId, StringComparison.OrdinalIgnoreCase))
            {
                headers[i] = new(value == requestId ? "" : HeaderNames.UpstreamRequestId, value);
            }
        }

        Headers.Add(new(HeaderNames.RequestId, requestId));
    }

    /// <summary>Writes a run of body bytes and flushes them to the client at once.</summary>
    public ValueTask<FlushResult> WriteAsync(ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        Write(data);
        return _writer.FlushAsync(cancellationToken);
    }

    /// <summary>Writes a run of body bytes without flushing.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (!HasStarted)
        {
            throw new InvalidOperationException("Start the response first.");
        }

        if (data.IsEmpty || _framing == Framing.None)
        {
            return;
        }

        BodyBytes += data.Length;
        switch (_framing)
        {
            case Framing.ContentLength:
                if (data.Length > _remaining)
                {
                    throw new InvalidOperationException("Response body is longer than its Content-Length.");
                }

                _remaining -= data.Length;
                _writer.Write(data);
                break;
            case Framing.Chunked:
                WriteChunk(data);
                break;
            default:
                _writer.Write(data);
                break;
        }
    }

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => _writer.FlushAsync(cancellationToken);

    /// <summary>Bytes written (head included) that no flush has sent yet.</summary>
    public long UnflushedBytes => _writer.UnflushedBytes;

    /// <summary>
    /// Memory to read body bytes into directly, without a copy; commit them with <see cref="AdvanceBody"/>. When chunked,
    /// room for the chunk's size line is kept in front: a fixed four-digit hex size, since RFC 9112 §7.1 allows leading zeros.
    /// </summary>
    public Memory<byte> GetBodyMemory(int sizeHint)
    {
        if (_framing != Framing.Chunked)
        {
            // The first read uses the room left behind the head, so a small body shares the head's block (one send of one
            // buffer, no gathered send). Later reads take what they asked for.
            var memory = BodyBytes == 0 ? _writer.GetMemory() : default;
            if (memory.Length < MinDirectRead)
            {
                memory = _writer.GetMemory(sizeHint);
            }

            return _framing == Framing.ContentLength && memory.Length > _remaining ? memory[..(int)Math.Max(_remaining, 1)] : memory;
        }

        // The hint covers the size line too, so a 4 KiB hint rents a 4 KiB block rather than the next pool size up.
        _reservedChunk = _writer.GetMemory(Math.Max(sizeHint, ChunkOverhead + 1));
        return _reservedChunk.Slice(ChunkPrefixLength, Math.Min(_reservedChunk.Length - ChunkOverhead, MaxDirectChunk));
    }

    /// <summary>Commits <paramref name="count"/> bytes written into the memory from <see cref="GetBodyMemory"/>.</summary>
    public void AdvanceBody(int count)
    {
        if (count == 0 || _framing == Framing.None)
        {
            return;
        }

        BodyBytes += count;
        if (_framing == Framing.Chunked)
        {
            var span = _reservedChunk.Span;
            _reservedChunk = default;
            Utf8Formatter.TryFormat(count, span, out _, new StandardFormat('x', 4));
            span[4] = HttpConstants.CR;
            span[5] = HttpConstants.LF;
            span[ChunkPrefixLength + count] = HttpConstants.CR;
            span[ChunkPrefixLength + count + 1] = HttpConstants.LF;
            _writer.Advance(count + ChunkOverhead);
            return;
        }

        if (_framing == Framing.ContentLength)
        {
            if (count > _remaining)
            {
                throw new InvalidOperationException("Response body is longer than its Content-Length.");
            }

            _remaining -= count;
        }

        _writer.Advance(count);
    }

    /// <summary>
    /// A whole response in one go, framed by Content-Length: any headers set so far are replaced by its Content-Type.
    /// For answers the proxy makes itself (errors, the models list, health); nothing may have been started.
    /// </summary>
    public async ValueTask WriteCompleteAsync(int statusCode, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        Headers.Clear();
        Headers.Add(new(HeaderNames.ContentType, contentType));
        Start(statusCode, body.Length);
        Write(body.Span);
        await CompleteAsync(cancellationToken);
    }

    /// <summary>Ends the body cleanly (the final chunk when chunked) and flushes.</summary>
    public ValueTask<FlushResult> CompleteAsync(CancellationToken cancellationToken)
    {
        if (_framing == Framing.ContentLength && _remaining != 0)
        {
            throw new InvalidOperationException("Response body is shorter than its Content-Length.");
        }

        if (_framing == Framing.Chunked)
        {
            _writer.Write(HttpConstants.FinalChunk);
        }

        IsCompleted = true;
        return _writer.FlushAsync(cancellationToken);
    }

    private void WriteChunk(ReadOnlySpan<byte> data)
    {
        // RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF, size in hex.
        var span = _writer.GetSpan(16 + data.Length);
        Utf8Formatter.TryFormat(data.Length, span, out var written, new StandardFormat('x'));
        span[written++] = HttpConstants.CR;
        span[written++] = HttpConstants.LF;
        data.CopyTo(span[written..]);
        written += data.Length;
        span[written++] = HttpConstants.CR;
        span[written++] = HttpConstants.LF;
        _writer.Advance(written);
    }

    private void WriteStatusLine(int statusCode)
    {
        if (statusCode == 200)
        {
            // Nearly every response: the whole line as one literal, without formatting the code or encoding the reason.
            _writer.Write(HttpConstants.StatusLine200);
            return;
        }

        var reason = ReasonPhrases.For(statusCode);
        var span = _writer.GetSpan(16 + reason.Length);
        HttpConstants.Http11.CopyTo(span);
        span[8] = HttpConstants.SP;
        Utf8Formatter.TryFormat(statusCode, span[9..], out var written);
        var pos = 9 + written;
        span[pos++] = HttpConstants.SP;
        pos += Encoding.ASCII.GetBytes(reason, span[pos..]);
        span[pos++] = HttpConstants.CR;
        span[pos++] = HttpConstants.LF;
        _writer.Advance(pos);
    }

    /// <summary>The header list, into one span of the pipe: names as ASCII, values as Latin-1 (RFC 9110 §5.5), one byte per character.</summary>
    private void WriteHeaders(List<KeyValuePair<string, string>> list)
    {
        // A span over the list: its enumerator's version checks cost more than the two short walks themselves.
        var headers = CollectionsMarshal.AsSpan(list);
        var length = 0;
        foreach (var (name, value) in headers)
        {
            length += name.Length + value.Length + 4;
        }

        var span = _writer.GetSpan(length);
        var pos = 0;
        foreach (var (name, value) in headers)
        {
            if (name.Length == 0)
            {
                continue;
            }

            var field = span[pos..];
            if (PrintableAscii.TryNarrow(name, field) && PrintableAscii.TryNarrow(value, field[(name.Length + 2)..]))
            {
                // Both printable ASCII, as nearly every field is: written as they are.
                field[name.Length] = HttpConstants.Colon;
                field[name.Length + 1] = HttpConstants.SP;
                pos += name.Length + 2 + value.Length;
            }
            else
            {
                var start = pos;
                pos += NarrowName(name, field);
                span[pos++] = HttpConstants.Colon;
                span[pos++] = HttpConstants.SP;
                var written = NarrowValue(value, span[pos..]);
                if (written < 0)
                {
                    // RFC 9110 §5.5: a value carrying CR, LF or NUL would split the header block; such a field is dropped, never written.
                    pos = start;
                    continue;
                }

                pos += written;
            }

            span[pos++] = HttpConstants.CR;
            span[pos++] = HttpConstants.LF;
        }

        _writer.Advance(pos);
    }

    // Names and values are short and nearly always printable ASCII: WriteHeaders checks and narrows them eight chars at a
    // time (PrintableAscii). A field with any other char is written again from its start by the encoders.
    private static int NarrowName(string name, Span<byte> destination) => Encoding.ASCII.GetBytes(name, destination);

    /// <summary>The value as Latin-1 bytes, or -1 when it holds CR, LF or NUL.</summary>
    private static int NarrowValue(string value, Span<byte> destination) =>
        value.AsSpan().ContainsAny('\r', '\n', '\0') ? -1 : Encoding.Latin1.GetBytes(value, destination);

    // The proxy's own fields, each into one span of the pipe: one reservation instead of one per piece.
    private void WriteHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var span = _writer.GetSpan(name.Length + value.Length + 4);
        name.CopyTo(span);
        var pos = name.Length;
        span[pos++] = HttpConstants.Colon;
        span[pos++] = HttpConstants.SP;
        value.CopyTo(span[pos..]);
        pos += value.Length;
        span[pos++] = HttpConstants.CR;
        span[pos++] = HttpConstants.LF;
        _writer.Advance(pos);
    }

    private void WriteHeader(ReadOnlySpan<byte> name, long value)
    {
        // A long is at most 20 digits.
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        WriteHeader(name, digits[..written]);
    }
}
