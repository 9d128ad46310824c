using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>
/// text/event-stream: reads events (WHATWG HTML §9.2.6 "Interpreting an event stream": lines end in
/// CRLF, LF or CR; an empty line dispatches the event; multiple data lines join with LF) and
/// rewrites the JSON in their data. Lines other than data pass as they came.
/// </summary>
internal sealed class SseResponseRewriter : IResponseRewriter
{
    private readonly JsonPayloadRewriter _json;
    private readonly PooledByteBuffer _event = new(4096);
    private readonly PooledByteBuffer _data = new();
    private readonly PooledByteBuffer _rewritten = new(4096);
    private readonly int _maxEventBytes;
    private int _lineStart;
    private int _scanPos;
    private bool _passthrough;

    public SseResponseRewriter(ResponseRewriteOptions options, int maxEventBytes)
    {
        _json = new JsonPayloadRewriter(options, streaming: true);
        _maxEventBytes = maxEventBytes;
    }

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_passthrough)
        {
            output.Write(input);
            return;
        }

        if (_event.Length == 0)
        {
            int consumed = ProcessEvents(input, output, final: false);
            _event.Append(input[consumed..]);
            _lineStart -= consumed;
            _scanPos -= consumed;
        }
        else
        {
            _event.Append(input);
            int consumed = ProcessEvents(_event.WrittenSpan, output, final: false);
            _event.RemoveStart(consumed);
            _lineStart -= consumed;
            _scanPos -= consumed;
        }

        if (_event.Length > _maxEventBytes)
        {
            // One event larger than the limit: give up filtering rather than buffer without bound.
            output.Write(_event.WrittenSpan);
            _event.Clear();
            _passthrough = true;
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        bool unterminated = false;
        if (!_passthrough && _event.Length > 0)
        {
            int consumed = ProcessEvents(_event.WrittenSpan, output, final: true);
            _event.RemoveStart(consumed);
            if (_event.Length > 0)
            {
                // A last event without its empty line (clients discard it, WHATWG §9.2.6); it still goes
                // through the filter so that no thinking leaks in it.
                HandleEvent(_event.WrittenSpan, output);
                _event.Clear();
                unterminated = true;
            }
        }

        _lineStart = 0;
        _scanPos = 0;
        if (!_passthrough && _json.TryWriteLeftovers(_rewritten))
        {
            if (unterminated)
            {
                output.Write("\n\n"u8);
            }

            output.Write("data: "u8);
            output.Write(_rewritten.WrittenSpan);
            output.Write("\n\n"u8);
        }
    }

    public bool TryWriteKeepAlive(IBufferWriter<byte> output)
    {
        if (_passthrough || !_json.InHiddenThought)
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
        _event.Dispose();
        _data.Dispose();
        _rewritten.Dispose();
    }

    /// <summary>Handles every complete event in <paramref name="data"/>; returns the bytes consumed.</summary>
    private int ProcessEvents(ReadOnlySpan<byte> data, IBufferWriter<byte> output, bool final)
    {
        int eventStart = 0;
        while (true)
        {
            int relative = data[_scanPos..].IndexOfAny((byte)'\r', (byte)'\n');
            if (relative < 0)
            {
                _scanPos = data.Length;
                break;
            }

            int terminator = _scanPos + relative;
            int length = 1;
            if (data[terminator] == (byte)'\r')
            {
                if (terminator + 1 == data.Length)
                {
                    if (!final)
                    {
                        // CR at the end of what we have: it may be the first half of a CRLF.
                        _scanPos = terminator;
                        break;
                    }
                }
                else if (data[terminator + 1] == (byte)'\n')
                {
                    length = 2;
                }
            }

            bool blank = terminator == _lineStart;
            _lineStart = terminator + length;
            _scanPos = _lineStart;
            if (blank)
            {
                HandleEvent(data[eventStart.._lineStart], output);
                eventStart = _lineStart;
            }
        }

        return eventStart;
    }

    /// <summary>One event's raw bytes including its terminating empty line (absent for a trailing event).</summary>
    private void HandleEvent(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        int dataLines = 0;
        ReadOnlySpan<byte> single = raw[..0];
        _data.Clear();
        ReadOnlySpan<byte> rest = raw;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line = NextLine(ref rest, out _);
            if (!TryGetDataValue(line, out ReadOnlySpan<byte> value))
            {
                continue;
            }

            if (dataLines == 0)
            {
                single = value;
            }
            else
            {
                if (dataLines == 1)
                {
                    _data.Append(single);
                }

                _data.Append("\n"u8);
                _data.Append(value);
            }

            dataLines++;
        }

        if (dataLines == 0)
        {
            output.Write(raw);
            return;
        }

        ReadOnlySpan<byte> payload = dataLines == 1 ? single : _data.WrittenSpan;
        JsonRewriteResult result = payload.SequenceEqual("[DONE]"u8)
            ? JsonRewriteResult.Unchanged
            : _json.Rewrite(payload, _rewritten);
        switch (result)
        {
            case JsonRewriteResult.Unchanged:
                output.Write(raw);
                return;
            case JsonRewriteResult.Dropped:
                return;
        }

        bool written = false;
        rest = raw;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> line = NextLine(ref rest, out ReadOnlySpan<byte> terminator);
            if (!TryGetDataValue(line, out _))
            {
                output.Write(line);
                output.Write(terminator);
                continue;
            }

            if (!written)
            {
                written = true;
                output.Write("data: "u8);
                output.Write(_rewritten.WrittenSpan);
                output.Write(terminator);
            }
        }
    }

    private static ReadOnlySpan<byte> NextLine(scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> terminator)
    {
        int end = rest.IndexOfAny((byte)'\r', (byte)'\n');
        if (end < 0)
        {
            ReadOnlySpan<byte> last = rest;
            terminator = default;
            rest = default;
            return last;
        }

        int length = rest[end] == (byte)'\r' && end + 1 < rest.Length && rest[end + 1] == (byte)'\n' ? 2 : 1;
        ReadOnlySpan<byte> line = rest[..end];
        terminator = rest.Slice(end, length);
        rest = rest[(end + length)..];
        return line;
    }

    /// <summary>A "data" field line: the value after the colon, without one leading space (WHATWG §9.2.6).</summary>
    private static bool TryGetDataValue(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!line.StartsWith("data"u8))
        {
            return false;
        }

        if (line.Length == 4)
        {
            return true;
        }

        if (line[4] != (byte)':')
        {
            return false;
        }

        value = line[5..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        return true;
    }
}
