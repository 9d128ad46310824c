namespace CotProxy.Filtering;

/// <summary>The lines of one SSE event and their "data" fields (WHATWG HTML §9.2.6).</summary>
internal static class SseLines
{
    /// <summary>Cuts the next line off <paramref name="rest"/>; its terminator (CRLF, LF, CR or none) separately.</summary>
    public static ReadOnlySpan<byte> Next(scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> terminator)
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
    public static bool TryGetData(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> value)
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
