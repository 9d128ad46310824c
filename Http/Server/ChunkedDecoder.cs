using System.Buffers;

namespace CotProxy.Http.Server;

/// <summary>
/// Resumable decoder of the chunked transfer coding (RFC 9112 §7.1). It keeps an explicit state between calls
/// and never needs bytes it has already consumed, so its output does not depend on how the input was split.
/// </summary>
internal sealed class ChunkedDecoder
{
    // A chunk-size line (size and extensions) longer than this is refused; Kestrel's bound is of the same order.
    private const int MaxChunkLineBytes = 4096;

    private State _state;
    private long _chunkRemaining;
    private int _sizeDigits;
    private int _lineBytes;
    private int _trailerBytes;

    private enum State
    {
        Size,
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        Trailers,
        Done,
    }

    public bool IsComplete => _state == State.Done;

    public void Reset()
    {
        _state = State.Size;
        _chunkRemaining = 0;
        _sizeDigits = 0;
        _lineBytes = 0;
        _trailerBytes = 0;
    }

    /// <summary>
    /// Consumes framing bytes and returns the next run of body data (at most <paramref name="maxBytes"/>), a slice of the input.
    /// An empty result means more input is needed, or the body is complete (<see cref="IsComplete"/>).
    /// </summary>
    public ReadOnlySequence<byte> Read(ref SequenceReader<byte> reader, long maxBytes, HttpLimits limits)
    {
        while (!reader.End)
        {
            switch (_state)
            {
                case State.Size:
                    ReadSize(ref reader);
                    break;
                case State.Extension:
                    ReadExtension(ref reader);
                    break;
                case State.SizeLf:
                    Expect(ref reader, HttpConstants.LF);
                    _state = _chunkRemaining == 0 ? State.Trailers : State.Data;
                    _sizeDigits = 0;
                    _lineBytes = 0;
                    break;
                case State.Data:
                    var take = Math.Min(Math.Min(_chunkRemaining, reader.Remaining), maxBytes);
                    if (take <= 0)
                    {
                        return ReadOnlySequence<byte>.Empty;
                    }

                    var data = reader.UnreadSequence.Slice(0, take);
                    reader.Advance(take);
                    _chunkRemaining -= take;
                    if (_chunkRemaining == 0)
                    {
                        _state = State.DataCr;
                    }

                    return data;
                case State.DataCr:
                    Expect(ref reader, HttpConstants.CR);
                    _state = State.DataLf;
                    break;
                case State.DataLf:
                    Expect(ref reader, HttpConstants.LF);
                    _state = State.Size;
                    break;
                case State.Trailers:
                    // RFC 9112 §7.1.2 / RFC 9110 §6.5.1: trailer fields may be discarded; they are validated, then dropped.
                    if (HttpRequestParser.TrySkipTrailers(ref reader, limits, ref _trailerBytes))
                    {
                        _state = State.Done;
                    }

                    return ReadOnlySequence<byte>.Empty;
                case State.Done:
                    return ReadOnlySequence<byte>.Empty;
            }
        }

        return ReadOnlySequence<byte>.Empty;
    }

    private void ReadSize(ref SequenceReader<byte> reader)
    {
        while (reader.TryPeek(out var b))
        {
            var digit = AsciiParsing.HexValue(b);
            if (digit >= 0)
            {
                // Overflow is checked before the shift: a size that does not fit in 60 bits is refused, never wrapped.
                if (_chunkRemaining > (long.MaxValue >> 4))
                {
                    throw HttpRejection.Create(RejectionReason.MalformedChunkedEncoding);
                }

                _chunkRemaining = (_chunkRemaining << 4) | (uint)digit;
                _sizeDigits++;
                CountLineByte();
                reader.Advance(1);
                continue;
            }

            if (_sizeDigits == 0)
            {
                throw HttpRejection.Create(RejectionReason.MalformedChunkedEncoding);
            }

            // RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ).
            if (b == (byte)';' || b == HttpConstants.SP || b == HttpConstants.HTab)
            {
                _state = State.Extension;
                return;
            }

            if (b == HttpConstants.CR)
            {
                reader.Advance(1);
                _state = State.SizeLf;
                return;
            }

            throw HttpRejection.Create(RejectionReason.MalformedChunkedEncoding);
        }
    }

    private void ReadExtension(ref SequenceReader<byte> reader)
    {
        // Extensions are ignored (RFC 9112 §7.1.1 lets a recipient ignore unrecognized ones) but must not carry controls.
        while (reader.TryRead(out var b))
        {
            if (b == HttpConstants.CR)
            {
                _state = State.SizeLf;
                return;
            }

            if (b != HttpConstants.HTab && (b < 0x20 || b == 0x7F))
            {
                throw HttpRejection.Create(RejectionReason.MalformedChunkedEncoding);
            }

            CountLineByte();
        }
    }

    private void CountLineByte()
    {
        if (++_lineBytes > MaxChunkLineBytes)
        {
            throw HttpRejection.Create(RejectionReason.MalformedChunkedEncoding);
        }
    }

    private static void Expect(ref SequenceReader<byte> reader, byte expected)
    {
        if (!reader.TryRead(out var b) || b != expected)
        {
            throw HttpRejection.Create(RejectionReason.MalformedChunkedEncoding);
        }
    }
}
