using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CotProxy.Api;

/// <summary>
/// The common case of <see cref="JsonRequestInspector"/> in one forward pass over the bytes, without a reader per token:
/// a body this scan accepts, <c>Utf8JsonReader</c> accepts too (with the inspector's options), and the model it finds
/// is the one the reader finds. It accepts less than the reader: any body it does not accept (an error, nesting deeper
/// than <see cref="MaxDepth"/>, an escape in a top-level property name or in the model) goes to the reader, which gives
/// the verdict and the error message. tests/CotProxy.Tests/Api/JsonRequestScanPropertyTests holds the two side by side.
/// </summary>
internal static class JsonRequestScan
{
    /// <summary>Deeper nesting is left to the reader (whose limit is 256); one bit per level fits a <see cref="ulong"/>.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// True when <paramref name="json"/> (UTF-8 already checked, no byte order mark) is one JSON value that the scan can
    /// vouch for; <paramref name="modelStart"/> is then the offset of the top-level string "model"'s text (the last one,
    /// as the reader's loop keeps), or -1, and <paramref name="modelLength"/> its length in bytes. False says nothing
    /// about the body: the reader decides.
    /// </summary>
    public static bool TryAccept(ReadOnlySpan<byte> json, out int modelStart, out int modelLength)
    {
        modelStart = -1;
        modelLength = 0;

        // One bit per open container, innermost lowest: 1 for an object, 0 for an array.
        ulong objects = 0;
        int depth = 0;
        bool isModel = false;
        int i = SkipWhitespace(json, 0);
        while (true)
        {
            // A value starts at i.
            if ((uint)i >= (uint)json.Length)
            {
                return false;
            }

            switch (json[i])
            {
                case (byte)'{':
                    if (depth == MaxDepth)
                    {
                        return false;
                    }

                    depth++;
                    objects = (objects << 1) | 1;
                    i = SkipWhitespace(json, i + 1);
                    if (i < json.Length && json[i] == (byte)'}')
                    {
                        depth--;
                        objects >>= 1;
                        i++;
                        break;
                    }

                    if (!TryName(json, ref i, depth, out isModel))
                    {
                        return false;
                    }

                    continue;
                case (byte)'[':
                    if (depth == MaxDepth)
                    {
                        return false;
                    }

                    depth++;
                    objects <<= 1;
                    i = SkipWhitespace(json, i + 1);
                    if (i < json.Length && json[i] == (byte)']')
                    {
                        depth--;
                        objects >>= 1;
                        i++;
                        break;
                    }

                    isModel = false;
                    continue;
                case (byte)'"':
                    int start = i + 1;
                    i = StringEnd(json, start, out bool escaped);
                    if (i < 0)
                    {
                        return false;
                    }

                    if (isModel)
                    {
                        // An escaped model is decoded and checked for half surrogate pairs by the reader's path.
                        if (escaped)
                        {
                            return false;
                        }

                        modelStart = start;
                        modelLength = i - 1 - start;
                    }

                    break;
                case (byte)'t':
                    if (!json[i..].StartsWith("true"u8))
                    {
                        return false;
                    }

                    i += 4;
                    break;
                case (byte)'f':
                    if (!json[i..].StartsWith("false"u8))
                    {
                        return false;
                    }

                    i += 5;
                    break;
                case (byte)'n':
                    if (!json[i..].StartsWith("null"u8))
                    {
                        return false;
                    }

                    i += 4;
                    break;
                default:
                    i = NumberEnd(json, i);
                    if (i < 0)
                    {
                        return false;
                    }

                    break;
            }

            // After a value: the end of the text, or of its container, or a comma and the next member or item. Whatever
            // follows a literal or a number must be one of these (RFC 8259 §2: "truex" and "1x" are no values).
            isModel = false;
            while (true)
            {
                i = SkipWhitespace(json, i);
                if (depth == 0)
                {
                    // RFC 8259 §2: JSON-text = ws value ws; anything after it (`{} {}`) is not one JSON text.
                    return i == json.Length;
                }

                if (i >= json.Length)
                {
                    return false;
                }

                byte b = json[i];
                bool inObject = (objects & 1) != 0;
                if (b == (byte)',')
                {
                    i = SkipWhitespace(json, i + 1);
                    if (inObject && !TryName(json, ref i, depth, out isModel))
                    {
                        return false;
                    }

                    break;
                }

                if (b != (inObject ? (byte)'}' : (byte)']'))
                {
                    return false;
                }

                depth--;
                objects >>= 1;
                i++;
            }
        }
    }

    /// <summary>
    /// A member's name at <paramref name="i"/>, then its colon: <paramref name="i"/> moves to the value. A top-level name
    /// is compared with "model"; one with an escape there is left to the reader (it decodes names before comparing).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryName(ReadOnlySpan<byte> json, ref int i, int depth, out bool isModel)
    {
        isModel = false;
        if (i >= json.Length || json[i] != (byte)'"')
        {
            return false;
        }

        int start = i + 1;
        int end = StringEnd(json, start, out bool escaped);
        if (end < 0 || (escaped && depth == 1))
        {
            return false;
        }

        isModel = depth == 1 && json[start..(end - 1)].SequenceEqual("model"u8);
        i = SkipWhitespace(json, end);
        if (i >= json.Length || json[i] != (byte)':')
        {
            return false;
        }

        i = SkipWhitespace(json, i + 1);
        return true;
    }

    /// <summary>
    /// The offset after the closing quote of the string whose text starts at <paramref name="i"/>, or -1 when it is not
    /// a JSON string (RFC 8259 §7: no unescaped control character, escapes from the grammar's list, <c>\u</c> with four hex
    /// digits). Half a surrogate pair in an escape is grammatical, as the reader also takes it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StringEnd(ReadOnlySpan<byte> json, int i, out bool escaped)
    {
        // Most strings in a request have no escape: the first byte that ends the run is their closing quote.
        i = PlainEnd(json, i);
        if (i < json.Length && json[i] == (byte)'"')
        {
            escaped = false;
            return i + 1;
        }

        return EscapedStringEnd(json, i, out escaped);
    }

    /// <summary><see cref="StringEnd"/> from <paramref name="i"/>, the first byte that ended a run of plain bytes.</summary>
    private static int EscapedStringEnd(ReadOnlySpan<byte> json, int i, out bool escaped)
    {
        escaped = false;
        while (true)
        {
            if (i >= json.Length)
            {
                return -1;
            }

            byte b = json[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b != (byte)'\\' || i + 1 >= json.Length)
            {
                return -1;
            }

            escaped = true;
            switch (json[i + 1])
            {
                case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                    i += 2;
                    break;
                case (byte)'u':
                    if (i + 6 > json.Length || !IsHex(json[i + 2]) || !IsHex(json[i + 3]) || !IsHex(json[i + 4]) || !IsHex(json[i + 5]))
                    {
                        return -1;
                    }

                    i += 6;
                    break;
                default:
                    return -1;
            }

            i = PlainEnd(json, i);
        }
    }

    /// <summary>
    /// The offset of the first byte from <paramref name="i"/> on that ends a run of plain string bytes, or the length: the
    /// closing quote, an escape, or a control character, which RFC 8259 §7 does not allow unescaped in a string. Sixteen
    /// bytes at a time, as long strings (a conversation's messages) are most of a request's bytes; the last sixteen of
    /// the body once more than the rest, so a string near the end (the last member's name) is not walked byte by byte.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PlainEnd(ReadOnlySpan<byte> json, int i)
    {
        ref byte start = ref MemoryMarshal.GetReference(json);
        int lastBlock = json.Length - Vector128<byte>.Count;
        for (; i <= lastBlock; i += Vector128<byte>.Count)
        {
            uint ends = Ends(Vector128.LoadUnsafe(ref start, (nuint)i));
            if (ends != 0)
            {
                return i + BitOperations.TrailingZeroCount(ends);
            }
        }

        if (i < json.Length && lastBlock >= 0)
        {
            // The block overlaps bytes already looked at (0 < i - lastBlock < 16): their bits are shifted out.
            uint ends = Ends(Vector128.LoadUnsafe(ref start, (nuint)lastBlock)) >> (i - lastBlock);
            return ends != 0 ? i + BitOperations.TrailingZeroCount(ends) : json.Length;
        }

        while (i < json.Length && json[i] is not ((byte)'"' or (byte)'\\' or < (byte)' '))
        {
            i++;
        }

        return i;
    }

    /// <summary>One bit per byte of the block (lowest first) that ends a run of plain string bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Ends(Vector128<byte> bytes) =>
        (Vector128.Equals(bytes, Vector128.Create((byte)'"'))
            | Vector128.Equals(bytes, Vector128.Create((byte)'\\'))
            | Vector128.LessThan(bytes, Vector128.Create((byte)' '))).ExtractMostSignificantBits();

    /// <summary>
    /// The offset after the number at <paramref name="i"/>, or -1 when none starts there. RFC 8259 §6:
    /// <c>[ minus ] int [ frac ] [ exp ]</c>, where int is 0 or a digit 1-9 and more digits.
    /// </summary>
    private static int NumberEnd(ReadOnlySpan<byte> json, int i)
    {
        if (json[i] == (byte)'-')
        {
            i++;
        }

        if (i >= json.Length || !IsDigit(json[i]))
        {
            return -1;
        }

        // A leading zero stands alone: "01" is no number, and the digit after the zero fails as what follows a value.
        i = json[i] == (byte)'0' ? i + 1 : Digits(json, i + 1);
        if (i < json.Length && json[i] == (byte)'.')
        {
            if (i + 1 >= json.Length || !IsDigit(json[i + 1]))
            {
                return -1;
            }

            i = Digits(json, i + 2);
        }

        if (i < json.Length && (json[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            if (i >= json.Length || !IsDigit(json[i]))
            {
                return -1;
            }

            i = Digits(json, i + 1);
        }

        return i;
    }

    private static int Digits(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && IsDigit(json[i]))
        {
            i++;
        }

        return i;
    }

    /// <summary>RFC 8259 §2: the four whitespace bytes (space, tab, line feed, carriage return), and no others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i) =>
        (uint)i < (uint)json.Length && json[i] > (byte)' ' ? i : SkipWhitespaceRun(json, i);

    private static int SkipWhitespaceRun(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 'f' - 'a';
}
