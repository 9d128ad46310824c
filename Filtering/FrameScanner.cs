namespace CotProxy.Filtering;

/// <summary>
/// Finds where each frame of a stream ends, resumably: an SSE event at its empty line (WHATWG HTML
/// §9.2.6: lines end in CRLF, LF or CR), an NDJSON document at its LF. Positions are relative to the
/// bytes given; <see cref="Shift"/> moves them when the caller drops consumed frames.
/// </summary>
internal struct FrameScanner
{
    private int _lineStart;
    private int _scanPos;
    private int _lines;
    private int _firstLineEnd;

    /// <summary>SSE: where the one line of the frame just found ends, when it had exactly one line; else -1.</summary>
    public readonly int SingleLineEnd => _lines == -1 ? _firstLineEnd : -1;

    /// <summary>The end of the next complete frame in <paramref name="data"/> (exclusive), or -1 when more bytes are needed.</summary>
    public int NextEnd(ReadOnlySpan<byte> data, ResponseFraming framing, bool final)
    {
        if (framing == ResponseFraming.Ndjson)
        {
            int newline = data[_scanPos..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                _scanPos = data.Length;
                return -1;
            }

            _scanPos += newline + 1;
            return _scanPos;
        }

        while (true)
        {
            int relative = data[_scanPos..].IndexOfAny((byte)'\r', (byte)'\n');
            if (relative < 0)
            {
                _scanPos = data.Length;
                return -1;
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
                        return -1;
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
                // The frame's line count is read by the caller before the next frame starts counting again.
                _lines = _lines > 0 ? -_lines : 0;
                return _lineStart;
            }

            if (_lines <= 0)
            {
                _lines = 0;
                _firstLineEnd = terminator;
            }

            _lines++;
        }
    }

    /// <summary>The first <paramref name="consumed"/> bytes were dropped from the front of the data.</summary>
    public void Shift(int consumed)
    {
        _lineStart -= consumed;
        _scanPos -= consumed;
        _firstLineEnd -= consumed;
    }

    public void Reset()
    {
        _lineStart = 0;
        _scanPos = 0;
        _lines = 0;
    }
}
