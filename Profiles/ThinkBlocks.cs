using System.Buffers;
using System.Text;

namespace CotProxy.Profiles;

/// <summary>
/// The one function that takes thinking blocks out of a text a client sent back (history hygiene), for any set of tag
/// pairs: the profile's own tags today, every family of tags once the filter knows them.
/// </summary>
internal static class ThinkBlocks
{
    private static ReadOnlySpan<byte> Whitespace => " \t\r\n"u8;

    /// <summary>
    /// The text with its thinking removed, as the response filter removes it: a start tag to the first end tag after it
    /// (an unclosed block to the end), an end tag before any start tag with the whitespace before it (the empty no-think
    /// block some templates write), or, with <paramref name="startsOpen"/>, everything before that first end tag; the
    /// whitespace right after a removed block goes with it. Null when there is nothing to remove.
    /// </summary>
    public static string? Strip(ReadOnlySpan<byte> text, ReadOnlySpan<ThinkTagPair> tags, bool startsOpen)
    {
        ArrayBufferWriter<byte>? kept = null;
        int pos = 0;

        // An end tag before any start tag: the template opened the block in the prompt.
        (int firstStart, _) = FindStart(text, tags);
        (int firstEnd, int endLength) = FindEnd(text, tags);
        if (firstEnd >= 0 && (firstStart < 0 || firstEnd < firstStart))
        {
            kept = new ArrayBufferWriter<byte>(text.Length);
            if (!startsOpen)
            {
                kept.Write(text[..firstEnd].TrimEnd(Whitespace));
            }

            pos = SkipWhitespace(text, firstEnd + endLength);
        }

        while (true)
        {
            (int start, int pair) = FindStart(text[pos..], tags);
            if (start < 0)
            {
                break;
            }

            kept ??= new ArrayBufferWriter<byte>(text.Length);
            kept.Write(text.Slice(pos, start));
            int inner = pos + start + tags[pair].Start.Length;
            int end = text[inner..].IndexOf(tags[pair].End);
            if (end < 0)
            {
                // Never closed (the answer was cut off while thinking): all of it is thought.
                pos = text.Length;
                break;
            }

            pos = SkipWhitespace(text, inner + end + tags[pair].End.Length);
        }

        if (kept is null)
        {
            return null;
        }

        kept.Write(text[pos..]);
        return Encoding.UTF8.GetString(kept.WrittenSpan);
    }

    private static (int At, int Pair) FindStart(ReadOnlySpan<byte> text, ReadOnlySpan<ThinkTagPair> tags)
    {
        (int at, int pair) = (-1, -1);
        for (int i = 0; i < tags.Length; i++)
        {
            int found = text.IndexOf(tags[i].Start);
            if (found >= 0 && (at < 0 || found < at))
            {
                (at, pair) = (found, i);
            }
        }

        return (at, pair);
    }

    private static (int At, int Length) FindEnd(ReadOnlySpan<byte> text, ReadOnlySpan<ThinkTagPair> tags)
    {
        (int at, int length) = (-1, 0);
        foreach (ThinkTagPair pair in tags)
        {
            int found = text.IndexOf(pair.End);
            if (found >= 0 && (at < 0 || found < at))
            {
                (at, length) = (found, pair.End.Length);
            }
        }

        return (at, length);
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> text, int from)
    {
        int skip = text[from..].IndexOfAnyExcept(Whitespace);
        return skip < 0 ? text.Length : from + skip;
    }
}
