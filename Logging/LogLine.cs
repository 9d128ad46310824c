using System.Buffers.Text;
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
        // Under load many lines share a millisecond: each thread formats the text of one millisecond once.
        var ms = utc.Ticks / TimeSpan.TicksPerMillisecond;
        var stamp = t_stamp;
        if (stamp is null || t_stampMs != ms)
        {
            stamp = t_stamp ??= new byte[StampLength];
            FormatStamp(utc, stamp);
            t_stampMs = ms;
        }

        Ascii(stamp);
    }

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

        if (text.Length > maxChars)
        {
            Ascii("…"u8);
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
