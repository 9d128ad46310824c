using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CotProxy.Profiles;

/// <summary>
/// Decodes the text of a JSON string, as it stands between its quotes with its escapes, into UTF-8 a chunk at a time: a
/// long escaped prompt never needs a second buffer of its own size. The reader has already checked the escapes' syntax.
/// </summary>
internal ref struct JsonStringUnescaper
{
    /// <summary>The smallest destination <see cref="Read"/> accepts: one character of UTF-8.</summary>
    public const int MinimumDestination = 4;

    private ReadOnlySpan<byte> _rest;

    public JsonStringUnescaper(ReadOnlySpan<byte> escaped)
    {
        _rest = escaped;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> (at least <see cref="MinimumDestination"/> bytes) with whole characters and
    /// returns how many bytes it wrote; 0 once the text is done.
    /// </summary>
    /// <exception cref="JsonException">A <c>\u</c> escape names half a surrogate pair: no UTF-8 text can hold it.</exception>
    public int Read(scoped Span<byte> destination)
    {
        int written = 0;
        Span<byte> character = stackalloc byte[MinimumDestination];
        while (!_rest.IsEmpty)
        {
            int backslash = _rest.IndexOf((byte)'\\');
            int run = backslash < 0 ? _rest.Length : backslash;
            if (run > 0)
            {
                int take = Math.Min(run, destination.Length - written);
                if (take < run)
                {
                    // Stop before a character the destination cannot hold whole.
                    while (take > 0 && (_rest[take] & 0xC0) == 0x80)
                    {
                        take--;
                    }
                }

                if (take == 0)
                {
                    break;
                }

                _rest[..take].CopyTo(destination[written..]);
                written += take;
                _rest = _rest[take..];
                continue;
            }

            // One escape decodes to at most four bytes; decode it aside and stop if the destination cannot take them.
            int length = DecodeEscape(character, out int consumed);
            if (length > destination.Length - written)
            {
                break;
            }

            character[..length].CopyTo(destination[written..]);
            written += length;
            _rest = _rest[consumed..];
        }

        return written;
    }

    /// <summary>Whether the decoded text ends with <paramref name="suffix"/> (UTF-8), reading it once without a copy of it.</summary>
    public static bool EndsWith(ReadOnlySpan<byte> escaped, bool isEscaped, ReadOnlySpan<byte> suffix)
    {
        if (!isEscaped)
        {
            return escaped.EndsWith(suffix);
        }

        if (suffix.IsEmpty)
        {
            return true;
        }

        // Decoded text is never longer than its escaped form, and the last suffix.Length bytes of it are all that matter:
        // keep them in a rolling window while the text is decoded chunk by chunk.
        Span<byte> chunk = stackalloc byte[2048];
        byte[]? rented = null;
        Span<byte> tail = suffix.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(suffix.Length));
        tail = tail[..suffix.Length];
        try
        {
            int held = 0;
            var unescaper = new JsonStringUnescaper(escaped);
            int n;
            while ((n = unescaper.Read(chunk)) > 0)
            {
                if (n >= tail.Length)
                {
                    chunk.Slice(n - tail.Length, tail.Length).CopyTo(tail);
                    held = tail.Length;
                }
                else
                {
                    int keep = Math.Min(held, tail.Length - n);
                    tail.Slice(held - keep, keep).CopyTo(tail);
                    chunk[..n].CopyTo(tail[keep..]);
                    held = keep + n;
                }
            }

            return held == suffix.Length && tail.SequenceEqual(suffix);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private readonly int DecodeEscape(scoped Span<byte> destination, out int consumed)
    {
        byte kind = _rest[1];
        if (kind != (byte)'u')
        {
            destination[0] = kind switch
            {
                (byte)'b' => (byte)'\b',
                (byte)'f' => (byte)'\f',
                (byte)'n' => (byte)'\n',
                (byte)'r' => (byte)'\r',
                (byte)'t' => (byte)'\t',
                _ => kind, // \" \\ \/
            };
            consumed = 2;
            return 1;
        }

        int unit = Hex4(_rest.Slice(2, 4));
        consumed = 6;
        int scalar = unit;
        if (char.IsHighSurrogate((char)unit))
        {
            if (_rest.Length < 12 || _rest[6] != (byte)'\\' || _rest[7] != (byte)'u' || !char.IsLowSurrogate((char)Hex4(_rest.Slice(8, 4))))
            {
                ThrowLoneSurrogate();
            }

            scalar = char.ConvertToUtf32((char)unit, (char)Hex4(_rest.Slice(8, 4)));
            consumed = 12;
        }
        else if (char.IsLowSurrogate((char)unit))
        {
            ThrowLoneSurrogate();
        }

        return new Rune(scalar).EncodeToUtf8(destination);
    }

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        int value = 0;
        foreach (byte b in hex)
        {
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }

        return value;
    }

    private static void ThrowLoneSurrogate() =>
        throw new JsonException("a string holds a \\u escape of half a surrogate pair, which is not text");
}
