using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace CotProxy.Logging;

/// <summary>Builds one log line as UTF-8 in a caller's span: no strings, no culture-aware formatting.</summary>
internal ref struct LogLine
{
    // "yyyy-MM-ddTHH:mm:ss.fffZ" and a space.
    private const int StampLength = 25;

    // The last timestamp this thread wrote and its millisecond.
    [ThreadStatic]
    private static byte[]? t_stamp;
    [ThreadStatic]
    private static long t_stampMs;

    // What a JSON string cannot hold as it is: the quote, the backslash and the C0 controls (RFC 8259 §7).
    private static readonly System.Buffers.SearchValues<char> s_jsonSpecial = System.Buffers.SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    private readonly Span<byte> _destination;
    private int _length;

    public LogLine(Span<byte> destination)
    {
        _destination = destination;
    }

    /// <summary>The line so far, ending with the newline once <see cref="End"/> ran.</summary>
    public readonly ReadOnlySpan<byte> Written => _destination[.._length];

    /// <summary>Bytes a line needs at most for <paramref name="textChars"/> characters of text besides its fixed parts.</summary>
    public static int MaxBytesFor(int textChars) => 128 + Encoding.UTF8.GetMaxByteCount(textChars);

    /// <summary>UTC time as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (ISO 8601, what the log has always printed), then a space.</summary>
    public void Timestamp(DateTime utc)
    {
        // Under load many lines share a millisecond: each thread formats the text of one millisecond once, and within the
        // same second only the milliseconds' three digits change.
        var ms = utc.Ticks / TimeSpan.TicksPerMillisecond;
        var stamp = t_stamp;
        if (stamp is null || t_stampMs != ms)
        {
            if (stamp is null || t_stampMs / 1000 != ms / 1000)
            {
                stamp = t_stamp ??= new byte[StampLength];
                FormatStamp(utc, stamp);
            }
            else
            {
                Digits(stamp, 20, (int)(ms % 1000), 3);
            }

            t_stampMs = ms;
        }

        Ascii(stamp);
    }

    // Inlined, a literal's copy has a length known when compiling and becomes a few moves instead of a call to memmove.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Ascii(ReadOnlySpan<byte> text)
    {
        text.CopyTo(_destination[_length..]);
        _length += text.Length;
    }

    /// <summary>Text the proxy wrote itself (levels, messages): encoded as it is.</summary>
    public void Text(ReadOnlySpan<char> text) => _length += Encoding.UTF8.GetBytes(text, _destination[_length..]);

    /// <summary>
    /// Client-supplied text: control characters become '?' and anything past <paramref name="maxChars"/> becomes '…', so a
    /// request cannot forge or flood log lines.
    /// </summary>
    public void SafeText(ReadOnlySpan<char> text, int maxChars)
    {
        var shown = text[..Math.Min(text.Length, maxChars)];

        // A text (a method, a path, a model name, an id) that is printable ASCII throughout, as nearly all are, is checked
        // and copied in one pass; any other is written again from its start below.
        if (shown.Length <= _destination.Length - _length && PrintableAscii.TryNarrow(shown, _destination[_length..]))
        {
            _length += shown.Length;
        }
        else
        {
            SafeTextInRuns(shown);
        }

        if (text.Length > maxChars)
        {
            Ascii("…"u8);
        }
    }

    /// <summary>The rule of <see cref="SafeText"/> for a text with a char outside printable ASCII: runs of it copied between the others.</summary>
    private void SafeTextInRuns(ReadOnlySpan<char> shown)
    {
        var i = 0;
        while (i < shown.Length)
        {
            // Printable ASCII, nearly all of every line, is copied as a run.
            var rest = shown[i..];
            var plain = rest.IndexOfAnyExceptInRange(' ', '~');
            var run = plain < 0 ? rest : rest[..plain];
            System.Text.Ascii.FromUtf16(run, _destination[_length..], out var copied);
            _length += copied;
            i += run.Length;
            if (plain < 0)
            {
                break;
            }

            var c = shown[i];
            if (c < 0x80)
            {
                Byte((byte)'?');
            }
            else if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1]))
            {
                _length += Encoding.UTF8.GetBytes(shown.Slice(i++, 2), _destination[_length..]);
            }
            else
            {
                // C1 controls become '?' too; a lone surrogate encodes as U+FFFD.
                Span<char> one = [char.IsControl(c) ? '?' : c];
                _length += Encoding.UTF8.GetBytes(one, _destination[_length..]);
            }

            i++;
        }
    }

    public void Number(long value)
    {
        Utf8Formatter.TryFormat(value, _destination[_length..], out var written);
        _length += written;
    }

    /// <summary>A non-negative value with one decimal, rounded half away from zero (as the "0.0" format).</summary>
    public void Tenths(double value)
    {
        var tenths = (long)Math.Round(Math.Max(0, value) * 10, MidpointRounding.AwayFromZero);
        Number(tenths / 10);
        Byte((byte)'.');
        Byte((byte)('0' + (tenths % 10)));
    }

    public void Byte(byte value) => _destination[_length++] = value;

    /// <summary>The time as a JSON string member: <c>"ts":"yyyy-MM-ddTHH:mm:ss.fffZ"</c>.</summary>
    public void JsonTimestamp(DateTime utc)
    {
        Ascii("{\"ts\":\""u8);
        var start = _length;
        Timestamp(utc);
        _length = start + StampLength - 1;
        Byte((byte)'"');
    }

    /// <summary>
    /// <c>,"name":"value"</c>, the value a JSON string (RFC 8259 §7): quote and backslash escaped, control characters as
    /// <c>\u00XX</c>. With <paramref name="maxChars"/> the value is client-supplied text, capped and made safe as
    /// <see cref="SafeText"/> does; without, the proxy's own text as it is.
    /// </summary>
    public void JsonMember(ReadOnlySpan<byte> name, ReadOnlySpan<char> value, int maxChars = -1)
    {
        Ascii(",\""u8);
        Ascii(name);
        Ascii("\":\""u8);
        if (maxChars >= 0)
        {
            var start = _length;
            SafeText(value, maxChars);
            EscapeJsonInPlace(start);
        }
        else
        {
            JsonEscaped(value);
        }

        Byte((byte)'"');
    }

    /// <summary><c>,"name":number</c>.</summary>
    public void JsonNumber(ReadOnlySpan<byte> name, long value)
    {
        Ascii(",\""u8);
        Ascii(name);
        Ascii("\":"u8);
        Number(value);
    }

    /// <summary>Bytes a JSON line needs at most for <paramref name="textChars"/> characters of text besides its fixed parts.</summary>
    public static int MaxJsonBytesFor(int textChars) => 160 + (6 * textChars);

    private void JsonEscaped(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var rest = text[i..];
            var special = rest.IndexOfAny(s_jsonSpecial);
            var run = special < 0 ? rest : rest[..special];
            _length += Encoding.UTF8.GetBytes(run, _destination[_length..]);
            i += run.Length;
            if (special < 0)
            {
                break;
            }

            EscapeAscii(text[i]);
            i++;
        }
    }

    /// <summary>Escapes the JSON specials among the bytes written since <paramref name="start"/> (safe text: no controls, so only quote and backslash).</summary>
    private void EscapeJsonInPlace(int start)
    {
        var written = _destination[start.._length];
        var specials = 0;
        foreach (var b in written)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                specials++;
            }
        }

        if (specials == 0)
        {
            return;
        }

        // Shift right from the end, doubling each special into its escape.
        var from = _length - 1;
        _length += specials;
        var to = _length - 1;
        while (from >= start)
        {
            var b = _destination[from--];
            _destination[to--] = b;
            if (b is (byte)'"' or (byte)'\\')
            {
                _destination[to--] = (byte)'\\';
            }
        }
    }

    private void EscapeAscii(char c)
    {
        switch (c)
        {
            case '"':
                Ascii("\\\""u8);
                break;
            case '\\':
                Ascii("\\\\"u8);
                break;
            case '\n':
                Ascii("\\n"u8);
                break;
            default:
                Ascii("\\u00"u8);
                Byte((byte)"0123456789abcdef"[c >> 4]);
                Byte((byte)"0123456789abcdef"[c & 0xF]);
                break;
        }
    }

    public void End() => Byte((byte)'\n');

    private static void FormatStamp(DateTime utc, Span<byte> stamp)
    {
        utc.Deconstruct(out int year, out int month, out int day);
        var time = utc.TimeOfDay;
        Digits(stamp, 0, year, 4);
        stamp[4] = (byte)'-';
        Digits(stamp, 5, month, 2);
        stamp[7] = (byte)'-';
        Digits(stamp, 8, day, 2);
        stamp[10] = (byte)'T';
        Digits(stamp, 11, time.Hours, 2);
        stamp[13] = (byte)':';
        Digits(stamp, 14, time.Minutes, 2);
        stamp[16] = (byte)':';
        Digits(stamp, 17, time.Seconds, 2);
        stamp[19] = (byte)'.';
        Digits(stamp, 20, time.Milliseconds, 3);
        "Z "u8.CopyTo(stamp[23..]);
    }

    private static void Digits(Span<byte> destination, int start, int value, int count)
    {
        for (var i = count - 1; i >= 0; i--)
        {
            destination[start + i] = (byte)('0' + (value % 10));
            value /= 10;
        }
    }
}
