using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace CotProxy.Profiles;

/// <summary>
/// Finds the two ways a grammatical JSON body can fail to be text, and says where in words: bytes that are not UTF-8
/// (RFC 8259 §8.1: JSON exchanged between systems is UTF-8; <c>Utf8JsonReader</c> does not check string contents) and
/// <c>\u</c> escapes of half a surrogate pair (RFC 8259 §8.2 allows them in the grammar, but no Unicode text holds one).
/// The checks are spans and vectorized searches; only the error path allocates (its message).
/// </summary>
internal static class JsonTextFaults
{
    // Path segments longer than this, or with characters outside a plain identifier's, are shown as "?": the message
    // names the place without echoing the client's text.
    private const int MaxShownName = 64;

    private static readonly SearchValues<byte> s_plainName =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-$"u8);

    /// <summary>The offset of the first byte that does not start a valid UTF-8 sequence, or -1 when all of it is UTF-8.</summary>
    public static int FindInvalidUtf8(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            return -1;
        }

        // The rare path: transcode in pieces until the transcoder stops at the bad sequence.
        Span<char> scratch = stackalloc char[1024];
        int offset = 0;
        while (true)
        {
            OperationStatus status = Utf8.ToUtf16(utf8[offset..], scratch, out int read, out _, replaceInvalidSequences: false, isFinalBlock: true);
            offset += read;
            if (status != OperationStatus.DestinationTooSmall)
            {
                return offset;
            }
        }
    }

    /// <summary>
    /// The offset, within the escaped text of one string (between its quotes, as checked by the reader), of the first
    /// <c>\u</c> escape that is half a surrogate pair without its other half; -1 when there is none.
    /// </summary>
    public static int FindLoneSurrogate(ReadOnlySpan<byte> escaped)
    {
        int at = 0;
        while (true)
        {
            int backslash = escaped[at..].IndexOf((byte)'\\');
            if (backslash < 0)
            {
                return -1;
            }

            at += backslash;
            if (escaped[at + 1] != (byte)'u')
            {
                at += 2;
                continue;
            }

            int unit = Hex4(escaped.Slice(at + 2, 4));
            if (char.IsLowSurrogate((char)unit))
            {
                return at;
            }

            if (char.IsHighSurrogate((char)unit))
            {
                // RFC 8259 §7: a character outside the BMP is escaped as a high surrogate's escape followed by a low one's.
                if (escaped.Length < at + 12 || escaped[at + 6] != (byte)'\\' || escaped[at + 7] != (byte)'u' || !char.IsLowSurrogate((char)Hex4(escaped.Slice(at + 8, 4))))
                {
                    return at;
                }

                at += 12;
                continue;
            }

            at += 6;
        }
    }

    /// <summary>
    /// The message for <paramref name="json"/> whose byte at <paramref name="offset"/> is not UTF-8; <paramref name="skipped"/>
    /// bytes (a byte order mark) came before <paramref name="json"/> in the body, so the offset shown is the client's.
    /// </summary>
    public static string InvalidUtf8Message(ReadOnlySpan<byte> json, int offset, int skipped) =>
        string.Create(CultureInfo.InvariantCulture, $"the request body is not valid UTF-8 at byte offset {offset + skipped}{Where(json, offset)}");

    /// <summary>The message for a lone surrogate escape at <paramref name="offset"/> in <paramref name="json"/> (as <see cref="InvalidUtf8Message"/>).</summary>
    public static string LoneSurrogateMessage(ReadOnlySpan<byte> json, int offset, int skipped) =>
        string.Create(CultureInfo.InvariantCulture, $"the request body holds a lone surrogate escape {Escape(json, offset)} at byte offset {offset + skipped}{Where(json, offset)}, which is half a character and not text");

    /// <summary>The message for a lone surrogate escape in the top-level <c>model</c> field.</summary>
    public static string LoneSurrogateInModelMessage(ReadOnlySpan<byte> json, int offset, int skipped) =>
        string.Create(CultureInfo.InvariantCulture, $"field 'model' holds a lone surrogate escape {Escape(json, offset)} at byte offset {offset + skipped}, which is half a character and not text");

    /// <summary>
    /// Where <paramref name="offset"/> lies as a JSON path (<c> (in messages[0].content)</c>), or empty when it is not
    /// inside a value: the body is read again up to that point, on the error path only.
    /// </summary>
    public static string Where(ReadOnlySpan<byte> body, int offset)
    {
        // Per open container: the path up to it, and for an array the index of its last item (-1 before the first).
        var paths = new List<string>();
        var indexes = new List<int>();
        string name = string.Empty;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                bool contains = reader.TokenStartIndex <= offset && offset < reader.BytesConsumed;
                JsonTokenType type = reader.TokenType;
                if (type == JsonTokenType.PropertyName)
                {
                    if (contains)
                    {
                        return paths[^1].Length == 0 ? " (in a property name)" : $" (in a property name of {paths[^1]})";
                    }

                    name = ShownName(reader.ValueSpan, reader.ValueIsEscaped);
                    continue;
                }

                if (type is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    paths.RemoveAt(paths.Count - 1);
                    indexes.RemoveAt(indexes.Count - 1);
                    continue;
                }

                // A value: its path is its container's, then its name or its index there.
                string path = string.Empty;
                if (paths.Count > 0)
                {
                    string parent = paths[^1];
                    if (indexes[^1] == int.MinValue)
                    {
                        path = parent.Length == 0 ? name : parent + "." + name;
                    }
                    else
                    {
                        indexes[^1]++;
                        path = string.Create(CultureInfo.InvariantCulture, $"{parent}[{indexes[^1]}]");
                    }
                }

                if (type is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    paths.Add(path);
                    indexes.Add(type == JsonTokenType.StartObject ? int.MinValue : -1);
                }
                else if (contains)
                {
                    return path.Length == 0 ? string.Empty : $" (in {path})";
                }
            }
        }
        catch (JsonException)
        {
            // The body breaks off or goes wrong after the offset: the path is unknown, and the offset alone says where.
        }

        return string.Empty;
    }

    private static string ShownName(ReadOnlySpan<byte> raw, bool isEscaped) =>
        !isEscaped && raw.Length is > 0 and <= MaxShownName && !raw.ContainsAnyExcept(s_plainName) ? Encoding.ASCII.GetString(raw) : "?";

    private static string Escape(ReadOnlySpan<byte> body, int offset) => Encoding.ASCII.GetString(body.Slice(offset, 6));

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        int value = 0;
        foreach (byte b in hex)
        {
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }

        return value;
    }
}
