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

    /// <summary>
    /// An "id" or "retry" field line: state the client keeps even from an event that dispatches nothing (WHATWG §9.2.6:
    /// the last event ID is set before an empty data buffer ends the dispatch; "retry" sets the reconnection time).
    /// </summary>
    public static bool IsClientState(ReadOnlySpan<byte> line) => IsField(line, "id"u8) || IsField(line, "retry"u8);

    /// <summary>
    /// A line that is neither empty, a comment, nor one of the four fields the standard defines: every SSE client ignores
    /// it (WHATWG §9.2.6, "otherwise, the field is ignored"), but a reader of another framing (JSON lines) would not.
    /// </summary>
    public static bool IsForeign(ReadOnlySpan<byte> line) =>
        !line.IsEmpty && line[0] != (byte)':' && !IsField(line, "data"u8) && !IsField(line, "event"u8) && !IsClientState(line);

    private static bool IsField(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name) =>
        line.StartsWith(name) && (line.Length == name.Length || line[name.Length] == (byte)':');

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
