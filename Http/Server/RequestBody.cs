using System.Buffers;
using System.IO.Pipelines;

namespace CotProxy.Http.Server;

/// <summary>
/// The body of the current request as a read-only stream, decoded from Content-Length or chunked framing (RFC 9112 §6).
/// Sends <c>100 Continue</c> on the first read when the client asked for it, enforces the body size limit on the
/// accumulated bytes and bounds each silence of the client.
/// </summary>
internal sealed class RequestBody : Stream
{
    private readonly ConnectionInput _input;
    private readonly HttpLimits _limits;
    private readonly ChunkedDecoder _chunked = new();
    private HttpRequest? _request;
    private HttpResponse? _response;
    private long _remaining;
    private long _read;
    private bool _complete;

    public RequestBody(ConnectionInput input, HttpLimits limits)
    {
        _input = input;
        _limits = limits;
    }

    /// <summary>Every byte of the body has been read off the connection.</summary>
    public bool IsComplete => _complete;

    /// <summary>Called once when the last body byte has been read (the connection then watches for a disconnect).</summary>
    public Action? Completed { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public void Reset(HttpRequest request, HttpResponse response)
    {
        _request = request;
        _response = response;
        _read = 0;
        _chunked.Reset();
        _remaining = request.IsChunked ? 0 : Math.Max(request.ContentLength, 0);
        _complete = !request.HasBody;
    }

    /// <summary>Reads the whole body into a pooled buffer; the caller returns <see cref="PooledByteBuffer"/> when done.</summary>
    public async ValueTask<PooledByteBuffer> ReadAllAsync(CancellationToken cancellationToken)
    {
        // A body of known length gets a buffer of that size and no more: it is held while the response streams, so a
        // 200-byte chat request must not pin a 4 KiB array for minutes.
        var known = _request is { IsChunked: false, ContentLength: >= 0 };
        var initial = known ? (int)Math.Min(_request!.ContentLength, _limits.MaxRequestBodyBytes) : 4096;
        var buffer = new PooledByteBuffer(initial);
        try
        {
            while (!_complete)
            {
                buffer.EnsureFree(known ? (int)Math.Clamp(_remaining, 1, 64 * 1024) : 4096);
                var n = ReadBuffered(buffer.FreeMemory.Span);
                if (n == 0)
                {
                    n = await ReadAsync(buffer.FreeMemory, cancellationToken);
                }

                if (n == 0)
                {
                    break;
                }

                buffer.Advance(n);
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_complete || destination.IsEmpty)
        {
            return 0;
        }

        if (_response is not null && _request!.ExpectContinue)
        {
            // RFC 9110 §10.1.1: the client waits for 100 Continue before sending the body; HttpClient never relays it, so we answer.
            _request.ExpectContinue = false;
            await _response.WriteContinueAsync(cancellationToken);
        }

        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync(_limits.RequestBodyTimeout);
            }
            catch (TimeoutException)
            {
                throw HttpRejection.Create(RejectionReason.BodyTimeout);
            }

            var buffer = result.Buffer;
            var n = _request!.IsChunked ? ReadChunked(buffer, destination.Span) : ReadFixed(buffer, destination.Span);
            if (n > 0 || _complete)
            {
                return n;
            }

            if (result.IsCompleted)
            {
                throw HttpRejection.Create(RejectionReason.UnexpectedEndOfBody);
            }
        }
    }

    /// <summary>
    /// Takes body bytes the connection has already received (a small body arrives with its head) without an
    /// asynchronous read or a deadline; 0 when there are none, or when 100 Continue must be sent first.
    /// </summary>
    private int ReadBuffered(Span<byte> destination)
    {
        if (_complete || destination.IsEmpty || _request!.ExpectContinue || !_input.TryRead(out var result))
        {
            return 0;
        }

        return _request.IsChunked ? ReadChunked(result.Buffer, destination) : ReadFixed(result.Buffer, destination);
    }

    private int ReadFixed(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        var n = (int)Math.Min(Math.Min(buffer.Length, _remaining), destination.Length);
        buffer.Slice(0, n).CopyTo(destination);
        _input.Reader.AdvanceTo(buffer.GetPosition(n));
        _remaining -= n;
        _read += n;
        if (_remaining == 0)
        {
            MarkComplete();
        }

        return n;
    }

    private int ReadChunked(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        var reader = new SequenceReader<byte>(buffer);
        var written = 0;
        try
        {
            while (written < destination.Length && !_chunked.IsComplete)
            {
                var data = _chunked.Read(ref reader, destination.Length - written, _limits);
                if (data.IsEmpty)
                {
                    break;
                }

                if (_read + data.Length > _limits.MaxRequestBodyBytes)
                {
                    throw HttpRejection.Create(RejectionReason.BodyTooLarge, _limits);
                }

                data.CopyTo(destination[written..]);
                written += (int)data.Length;
                _read += data.Length;
            }
        }
        finally
        {
            // Nothing decoded and not complete: everything was examined, so the next read waits for new bytes.
            var progressed = written > 0 || _chunked.IsComplete;
            _input.Reader.AdvanceTo(reader.Position, progressed ? reader.Position : buffer.End);
        }

        if (_chunked.IsComplete)
        {
            MarkComplete();
        }

        return written;
    }

    private void MarkComplete()
    {
        _complete = true;
        Completed?.Invoke();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read the body asynchronously.");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
