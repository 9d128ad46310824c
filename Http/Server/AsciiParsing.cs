namespace CotProxy.Http.Server;

/// <summary>
/// Number parsing for framing fields, by hand: long.Parse's default NumberStyles.Integer also takes a sign and white
/// space around the digits ("+5", " 5 "), and NumberStyles.HexNumber white space, none of which the grammar allows; an
/// invalid Content-Length makes the framing invalid (RFC 9112 §6.3), so it is rejected, never read generously.
/// </summary>
internal static class AsciiParsing
{
    /// <summary>Decimal digits only, at least one, overflow checked before each step (RFC 9110 §8.6: Content-Length = 1*DIGIT).</summary>
    public static bool TryParseDecimal(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (var b in digits)
        {
            var d = b - '0';
            if ((uint)d > 9 || value > (long.MaxValue - d) / 10)
            {
                value = 0;
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    /// <summary>Value of one hex digit, or -1 (RFC 9112 §7.1: chunk-size = 1*HEXDIG).</summary>
    public static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
