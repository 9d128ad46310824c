using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CotProxy.Logging;

/// <summary>
/// The common case of writing short text as bytes, shared by the access line (<see cref="LogLine.SafeText"/>) and the
/// response head's fields: text that is printable ASCII throughout (U+0020 to U+007E), as nearly all of it is, narrowed
/// to one byte a char in one pass that checks and copies together. Anything else is the caller's own rule to apply.
/// </summary>
internal static class PrintableAscii
{
    /// <summary>
    /// True when every char of <paramref name="text"/> is from U+0020 to U+007E: then its bytes are in the first
    /// <c>text.Length</c> bytes of <paramref name="destination"/>. False says nothing more, and leaves those bytes
    /// partly written. <paramref name="destination"/> must be at least as long as <paramref name="text"/>.
    /// </summary>
    // Inlined into its few callers: the call itself was a fifth of the work for a short text.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryNarrow(ReadOnlySpan<char> text, Span<byte> destination)
    {
        destination = destination[..text.Length];
        ref var source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        ref var target = ref MemoryMarshal.GetReference(destination);
        var length = (nuint)text.Length;
        if (Vector128.IsHardwareAccelerated && length >= 8)
        {
            // Eight chars at a time, the last block overlapping the one before it when the length is no multiple of
            // eight; the check of all blocks is gathered and tested once.
            var outside = Vector128<ushort>.Zero;
            var last = length - 8;
            for (nuint i = 0; i < last; i += 8)
            {
                var chars = Vector128.LoadUnsafe(ref source, i);
                outside |= Outside(chars);
                Store(ref target, i, chars);
            }

            var tail = Vector128.LoadUnsafe(ref source, last);
            outside |= Outside(tail);
            Store(ref target, last, tail);
            return (outside & Vector128.Create((ushort)0xFF80)) == Vector128<ushort>.Zero;
        }

        if (length is >= 4 and < 8)
        {
            // Four chars in a word, twice (overlapping when fewer than eight); longer text without vectors goes char by char. The additions can carry into the next
            // char only out of a char at U+FFA0 or above, which is itself outside, so the word's verdict stays right.
            var first = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref source));
            var second = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref source, length - 4)));
            var outsideWord = OutsideWord(first) | OutsideWord(second);
            Unsafe.WriteUnaligned(ref target, NarrowWord(first));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, length - 4), NarrowWord(second));
            return (outsideWord & 0xFF80_FF80_FF80_FF80) == 0;
        }

        for (nuint i = 0; i < length; i++)
        {
            var c = Unsafe.Add(ref source, i);
            if ((uint)(c - ' ') > '~' - ' ')
            {
                return false;
            }

            Unsafe.Add(ref target, i) = (byte)c;
        }

        return true;
    }

    // A char c is inside when both c + 0x60 flipped at 0x80 and c + 1 are below 0x80: c + 0x60 reaches 0x80 from c = 0x20
    // on, and c + 1 reaches 0x80 at c = 0x7F. Anything else, U+FFFF (whose c + 1 wraps to 0) too, sets a bit of 0xFF80.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> Outside(Vector128<ushort> chars) =>
        ((chars + Vector128.Create((ushort)0x60)) ^ Vector128.Create((ushort)0x80)) | (chars + Vector128<ushort>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong OutsideWord(ulong chars) =>
        ((chars + 0x0060_0060_0060_0060) ^ 0x0080_0080_0080_0080) | (chars + 0x0001_0001_0001_0001);

    /// <summary>The low byte of each of eight chars, into eight bytes at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref byte target, nuint offset, Vector128<ushort> chars) =>
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, offset), Vector128.Narrow(chars, chars).AsUInt64().ToScalar());

    /// <summary>The low byte of each of four chars in a word, as four bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint NarrowWord(ulong chars)
    {
        chars = (chars | (chars >> 8)) & 0x0000_FFFF_0000_FFFF;
        return (uint)(chars | (chars >> 16));
    }
}
