using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CotProxy.Http.Server;

/// <summary>Received bytes compared with strings the parser made from them before (RFC 9110 §5.5: field text is Latin-1, one char per byte).</summary>
internal static class Latin1Text
{
    /// <summary>
    /// Whether <paramref name="text"/> is <paramref name="bytes"/> decoded as Latin-1, without decoding them: the string of
    /// the same field in the previous request is taken again when it is. Eight bytes at a time, widened to chars; a
    /// field name or value is a few dozen bytes, where <c>Ascii.Equals</c>'s general path costs more than the comparison.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EqualsBytes(ReadOnlySpan<byte> bytes, string text)
    {
        if (bytes.Length != text.Length)
        {
            return false;
        }

        ref var b = ref MemoryMarshal.GetReference(bytes);
        ref var c = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text.AsSpan()));
        var length = (nuint)bytes.Length;
        if (Vector128.IsHardwareAccelerated && length >= 8)
        {
            // Blocks of eight, the last one overlapping the one before it when the length is no multiple of eight.
            var last = length - 8;
            for (nuint i = 0; i < last; i += 8)
            {
                if (Widened(ref b, i) != Vector128.LoadUnsafe(ref c, i))
                {
                    return false;
                }
            }

            return Widened(ref b, last) == Vector128.LoadUnsafe(ref c, last);
        }

        for (nuint i = 0; i < length; i++)
        {
            if (Unsafe.Add(ref b, i) != Unsafe.Add(ref c, i))
            {
                return false;
            }
        }

        return true;
    }

    private static Vector128<ushort> Widened(ref byte source, nuint offset) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset))).AsByte());
}
