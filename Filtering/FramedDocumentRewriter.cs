using System.Buffers;
using System.Text;

namespace CotProxy.Filtering;

/// <summary>
/// Rewrites a body made of JSON documents; the framing (how the body is cut into documents) is the
/// only difference between SSE (one document per event's data), NDJSON (one per line) and a whole
/// JSON body (one in all). Memory is bounded: a frame still incomplete holds at most the limit, and a
/// frame over it ends the stream (or fails the body) instead of passing unfiltered.
/// </summary>
internal sealed class FramedDocumentRewriter : IResponseRewriter
{
    private readonly ResponseFraming _framing;
    private readonly IDocumentRewriter _json;
    // Empty until the first bytes arrive: a thousand streams that start at once rent nothing before their first event.
    private readonly PooledByteBuffer _held = new(0);
    private readonly PooledByteBuffer _joined = new(0);
    private readonly PooledByteBuffer _rewritten = new(0);
    private readonly int _maxFrameBytes;
    private FrameScanner _scanner;
    private int _droppedEvents;
    private string? _failureReason;

    /// <param name="framing">How the body is cut into documents.</param>
    /// <param name="options">What the filter does.</param>
    /// <param name="maxFrameBytes">The largest event, line or body held.</param>
    /// <param name="api">Which API's documents these are (see <see cref="DocumentRewriters"/>).</param>
    public FramedDocumentRewriter(ResponseFraming framing, ResponseRewriteOptions options, int maxFrameBytes, ResponseApi api = ResponseApi.Choices)
    {
        if (framing is not (ResponseFraming.EventStream or ResponseFraming.Ndjson or ResponseFraming.JsonBody))
        {
            throw new ArgumentOutOfRangeException(nameof(framing));
        }

        _framing = framing;
        _json = DocumentRewriters.Create(api, options, framing);
        _maxFrameBytes = maxFrameBytes;
    }

    public ResponseFraming Framing => _framing;

    public int DroppedEvents => _droppedEvents;

    public int LogprobsDropped => _json.LogprobsMismatches;

    public long ThinkingChars => _json.ThinkingChars;

    public string? FailureReason => _failureReason;

    /// <summary>Documents that took the fast path (sent as their own bytes, at most the model name spliced).</summary>
    internal long ProbePasses => _json.ProbePasses;

    /// <summary>Choice lookups so far: a test holds this to one per choice of each document.</summary>
    internal long ChoiceLookups => (_json as JsonPayloadRewriter)?.ChoiceLookups ?? 0;

    /// <summary>Array capacity held between reads: what <see cref="ReleaseIdleBuffers"/> gives back when no frame is incomplete.</summary>
    internal int BufferCapacity => _held.Capacity + _joined.Capacity + _rewritten.Capacity + ((_json as JsonPayloadRewriter) is { } payload ? payload.TemplateCapacity + payload.ContextCapacity : 0);

    /// <summary>Of <see cref="ProbePasses"/>, the documents an <see cref="EventTemplate"/> decided.</summary>
    internal long TemplatePasses => (_json as JsonPayloadRewriter)?.TemplatePasses ?? 0;

    public void ReleaseIdleBuffers()
    {
        _json.ReleaseIdleBuffers();
        // Between writes _joined and _rewritten hold only what was already written out: they are scratch, never state.
        _joined.Clear();
        _rewritten.Clear();
        _held.ReleaseIfEmpty();
        _joined.ReleaseIfEmpty();
        _rewritten.ReleaseIfEmpty();
    }

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_failureReason is not null)
        {
            return;
        }

        if (_framing == ResponseFraming.JsonBody)
        {
            if (_held.Length + (long)input.Length > _maxFrameBytes)
            {
                Fail($"The upstream's JSON body is larger than the limit of {_maxFrameBytes} bytes the thinking filter holds (MAX_FILTERED_BODY_MB).");
                return;
            }

            _held.Append(input);
            return;
        }

        while (!input.IsEmpty && _failureReason is null)
        {
            if (_held.Length == 0)
            {
                int consumed = WriteFrames(input, output, final: false);
                ReadOnlySpan<byte> rest = input[consumed..];
                if (_failureReason is null && rest.Length > _maxFrameBytes)
                {
                    CutStream(output);
                }

                if (_failureReason is null)
                {
                    _held.Append(rest);
                }

                return;
            }

            // Never hold more than one byte past the limit, however large the read.
            int take = (int)Math.Min(input.Length, (long)_maxFrameBytes + 1 - _held.Length);
            _held.Append(input[..take]);
            input = input[take..];
            int used = WriteFrames(_held.WrittenSpan, output, final: false);
            if (_failureReason is null)
            {
                _held.RemoveStart(used);
                if (_held.Length > _maxFrameBytes)
                {
                    CutStream(output);
                }
            }
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (_failureReason is not null)
        {
            return;
        }

        if (_framing == ResponseFraming.JsonBody)
        {
            WriteBody(_held.WrittenSpan, output);
            _held.Clear();
            return;
        }

        bool unterminated = false;
        if (_held.Length > 0)
        {
            int used = WriteFrames(_held.WrittenSpan, output, final: true);
            if (_failureReason is not null)
            {
                return;
            }

            _held.RemoveStart(used);
            if (_held.Length > 0)
            {
                // A last frame without its terminator (SSE clients discard such an event, WHATWG §9.2.6);
                // it still goes through the filter so that no thinking leaks in it.
                WriteFrame(_held.WrittenSpan, -1, output);
                _held.Clear();
                unterminated = true;
            }
        }

        _scanner.Reset();
        if (!_json.TryWriteLeftovers(_rewritten))
        {
            return;
        }

        if (_framing == ResponseFraming.EventStream)
        {
            output.Write(unterminated ? "\n\ndata: "u8 : "data: "u8);
            output.Write(_rewritten.WrittenSpan);
            output.Write("\n\n"u8);
        }
        else
        {
            if (unterminated)
            {
                output.Write("\n"u8);
            }

            output.Write(_rewritten.WrittenSpan);
            output.Write("\n"u8);
        }
    }

    public bool WantsKeepAlive => _framing == ResponseFraming.EventStream && _failureReason is null && _json.InHiddenThought;

    public bool TryWriteKeepAlive(IBufferWriter<byte> output)
    {
        if (!WantsKeepAlive)
        {
            return false;
        }

        // A comment line: ignored by every SSE client, but it resets their read timeouts.
        output.Write(": thinking\n\n"u8);
        return true;
    }

    public void Dispose()
    {
        _json.Dispose();
        _held.Dispose();
        _joined.Dispose();
        _rewritten.Dispose();
    }

    /// <summary>Handles every complete frame at the start of <paramref name="data"/>; returns the bytes consumed.</summary>
    private int WriteFrames(ReadOnlySpan<byte> data, IBufferWriter<byte> output, bool final)
    {
        int start = 0;
        int end;
        while ((end = _scanner.NextEnd(data, _framing, final)) >= 0)
        {
            if (end - start > _maxFrameBytes)
            {
                // Over the limit even when it came whole in one read: the output must not depend on how the input was cut.
                CutStream(output);
                return data.Length;
            }

            int single = _scanner.SingleLineEnd;
            WriteFrame(data[start..end], single < 0 ? -1 : single - start, output);
            start = end;
        }

        _scanner.Shift(start);
        return start;
    }

    /// <summary>One frame; <paramref name="singleLineEnd"/> is where an SSE event's only line ends (-1: not known to be one line).</summary>
    private void WriteFrame(ReadOnlySpan<byte> raw, int singleLineEnd, IBufferWriter<byte> output)
    {
        if (_framing == ResponseFraming.EventStream)
        {
            WriteEvent(raw, singleLineEnd, output);
        }
        else
        {
            WriteLine(raw, output);
        }
    }

    /// <summary>One SSE event's raw bytes including its terminating empty line (absent for a trailing event).</summary>
    private void WriteEvent(ReadOnlySpan<byte> raw, int singleLineEnd, IBufferWriter<byte> output)
    {
        int dataLines = 0;
        ReadOnlySpan<byte> single = default;
        _joined.Clear();
        ReadOnlySpan<byte> rest = raw;
        if (singleLineEnd >= 0 && SseLines.TryGetData(raw[..singleLineEnd], out single))
        {
            // The common event, one data line: no second pass over its lines.
            dataLines = 1;
            rest = default;
        }

        bool foreign = false;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line = SseLines.Next(ref rest, out _);
            if (!SseLines.TryGetData(line, out ReadOnlySpan<byte> value))
            {
                foreign |= SseLines.IsForeign(line);
                continue;
            }

            if (dataLines == 1)
            {
                _joined.Append(single);
            }

            if (dataLines > 0)
            {
                // WHATWG §9.2.6: the data lines of one event join with LF.
                _joined.Append("\n"u8);
                _joined.Append(value);
            }

            single = value;
            dataLines++;
        }

        ReadOnlySpan<byte> payload = dataLines == 1 ? single : _joined.WrittenSpan;
        if (dataLines == 0 || payload.SequenceEqual("[DONE]"u8) || !Rewrite(payload))
        {
            WriteAsItCame(raw, foreign, output);
            return;
        }

        if (_rewritten.Length == 0)
        {
            WriteClientState(raw, output);
            return;
        }

        if (_json.WritesEvents)
        {
            // Whole events: the upstream's id and retry go on the last of them, before its empty line.
            output.Write(_rewritten.WrittenSpan[..^1]);
            if (!WriteClientState(raw, output))
            {
                output.Write("\n"u8);
            }

            return;
        }

        bool written = false;
        rest = raw;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line = SseLines.Next(ref rest, out ReadOnlySpan<byte> terminator);
            if (!SseLines.TryGetData(line, out _))
            {
                if (!SseLines.IsForeign(line))
                {
                    output.Write(line);
                    output.Write(terminator);
                }
            }
            else if (!written)
            {
                written = true;
                output.Write("data: "u8);
                output.Write(_rewritten.WrittenSpan);
                output.Write(terminator);
            }
        }
    }

    /// <summary>
    /// An event the filter leaves as it is, less its foreign lines: SSE clients ignore those, and a client reading the
    /// body as JSON lines (a mislabelled stream) must not find unfiltered documents in them. Failing closed.
    /// </summary>
    private static void WriteAsItCame(ReadOnlySpan<byte> raw, bool foreign, IBufferWriter<byte> output)
    {
        if (!foreign)
        {
            output.Write(raw);
            return;
        }

        ReadOnlySpan<byte> rest = raw;
        bool any = false;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line = SseLines.Next(ref rest, out ReadOnlySpan<byte> terminator);
            if (!line.IsEmpty && !SseLines.IsForeign(line))
            {
                any = true;
                output.Write(line);
                output.Write(terminator);
            }
            else if (line.IsEmpty && any)
            {
                output.Write(terminator);
            }
        }
    }

    /// <summary>
    /// A dropped event still hands the client its "id" and "retry" fields, as an event without data: a client that
    /// reconnects with Last-Event-ID then resumes after the event it was denied, neither missing nor repeating one.
    /// Returns false when the event had neither (nothing was written).
    /// </summary>
    private static bool WriteClientState(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        ReadOnlySpan<byte> rest = raw;
        ReadOnlySpan<byte> lastTerminator = default;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line = SseLines.Next(ref rest, out ReadOnlySpan<byte> terminator);
            if (SseLines.IsClientState(line))
            {
                output.Write(line);
                output.Write(terminator.IsEmpty ? "\n"u8 : terminator);
                lastTerminator = terminator.IsEmpty ? "\n"u8 : terminator;
            }
        }

        if (!lastTerminator.IsEmpty)
        {
            output.Write(lastTerminator);
        }

        return !lastTerminator.IsEmpty;
    }

    /// <summary>One NDJSON line with its terminator (LF or CRLF; none for a trailing line).</summary>
    private void WriteLine(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        int length = raw.Length;
        if (length > 0 && raw[length - 1] == (byte)'\n')
        {
            length--;
        }

        if (length > 0 && raw[length - 1] == (byte)'\r')
        {
            length--;
        }

        ReadOnlySpan<byte> json = raw[..length];
        if (json.Trim(" \t\r"u8).IsEmpty || !Rewrite(json))
        {
            output.Write(raw);
            return;
        }

        if (_rewritten.Length > 0)
        {
            output.Write(_rewritten.WrittenSpan);
            output.Write(raw[length..]);
        }
    }

    /// <summary>The whole body; trailing whitespace is kept as it came (Ollama ends its JSON bodies with a newline).</summary>
    private void WriteBody(ReadOnlySpan<byte> body, IBufferWriter<byte> output)
    {
        int end = body.Length;
        while (end > 0 && body[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        switch (_json.Rewrite(body[..end], _rewritten))
        {
            case JsonRewriteResult.Unchanged:
                output.Write(body);
                break;
            case JsonRewriteResult.Unreadable:
                Fail("The upstream's JSON body could not be read by the thinking filter (not a JSON object, invalid UTF-8, an unpaired surrogate escape or nesting too deep).");
                break;
            default:
                output.Write(_rewritten.WrittenSpan);
                output.Write(body[end..]);
                break;
        }
    }

    /// <summary>
    /// Rewrites one stream document. False: send the frame as it came. True: send
    /// <see cref="_rewritten"/> in its place, or nothing when that is empty (dropped).
    /// </summary>
    private bool Rewrite(ReadOnlySpan<byte> json)
    {
        switch (_json.Rewrite(json, _rewritten))
        {
            case JsonRewriteResult.Unchanged:
                return false;
            case JsonRewriteResult.Rewritten:
                return true;
            case JsonRewriteResult.Unreadable:
                // Failing closed: a document the filter cannot read may hold thinking.
                _droppedEvents++;
                break;
        }

        _rewritten.Clear();
        return true;
    }

    /// <summary>A stream frame over the limit: the stream ends here with an error the client can read, instead of the frame unfiltered.</summary>
    private void CutStream(IBufferWriter<byte> output)
    {
        string message = $"The upstream sent {(_framing == ResponseFraming.EventStream ? "an event" : "a line")} larger than the limit of {_maxFrameBytes} bytes the thinking filter holds (MAX_FILTERED_BODY_MB); the response ends here.";
        Fail(message);
        if (_framing == ResponseFraming.EventStream)
        {
            output.Write("data: {\"error\":{\"message\":"u8);
            WriteQuoted(message, output);
            output.Write(",\"type\":\"upstream_error\",\"code\":\"upstream_event_too_large\"}}\n\n"u8);
        }
        else
        {
            // Ollama's native API reports a failure mid-stream as a line {"error": "..."}.
            output.Write("{\"error\":"u8);
            WriteQuoted(message, output);
            output.Write("}\n"u8);
        }
    }

    private void Fail(string reason)
    {
        _failureReason = reason;
        _held.Clear();
        _scanner.Reset();
    }

    private static void WriteQuoted(string text, IBufferWriter<byte> output)
    {
        using var quoted = new PooledByteBuffer(text.Length + 2);
        JsonStringEscaper.WriteQuoted(Encoding.UTF8.GetBytes(text), quoted);
        output.Write(quoted.WrittenSpan);
    }
}
