using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>
/// The tags one phase of the stripper looks for, with the bytes they begin with: finding the first of them, and the
/// bytes at the end of a text that may begin one. Built once per <see cref="ThinkTagSet"/>; searching allocates nothing.
/// </summary>
internal sealed class ThinkTagList
{
    private readonly ThinkTag[] _tags;
    private readonly SearchValues<byte> _first;

    public ThinkTagList(IEnumerable<ThinkTag> tags)
    {
        var distinct = new List<ThinkTag>();
        foreach (ThinkTag tag in tags)
        {
            // The same bytes in two roles (Harmony's final header ends a thought and is dropped from the answer): the first role given wins.
            if (!distinct.Exists(t => t.Bytes.AsSpan().SequenceEqual(tag.Bytes)))
            {
                distinct.Add(tag);
            }
        }

        _tags = [.. distinct];
        _first = SearchValues.Create([.. _tags.Select(t => t.Bytes[0]).Distinct()]);
        MaxLength = _tags.Length == 0 ? 0 : _tags.Max(t => t.Bytes.Length);
    }

    public bool IsEmpty => _tags.Length == 0;

    public int MaxLength { get; }

    /// <summary>Position of the first tag in <paramref name="data"/> (the longest one starting there), or -1.</summary>
    public int Find(ReadOnlySpan<byte> data, out ThinkTag? found)
    {
        found = null;
        if (_tags.Length == 0)
        {
            return -1;
        }

        int from = 0;
        while (true)
        {
            int at = data[from..].IndexOfAny(_first);
            if (at < 0)
            {
                return -1;
            }

            from += at;
            found = MatchAt(data[from..]);
            if (found is not null)
            {
                return from;
            }

            from++;
        }
    }

    /// <summary>The longest tag <paramref name="data"/> begins with, or null.</summary>
    public ThinkTag? MatchAt(ReadOnlySpan<byte> data)
    {
        ThinkTag? best = null;
        foreach (ThinkTag tag in _tags)
        {
            if (data.StartsWith(tag.Bytes) && (best is null || tag.Bytes.Length > best.Bytes.Length))
            {
                best = tag;
            }
        }

        return best;
    }

    /// <summary><paramref name="data"/> (not empty) is a proper prefix of some tag: more bytes may complete it.</summary>
    public bool MayBegin(ReadOnlySpan<byte> data)
    {
        foreach (ThinkTag tag in _tags)
        {
            if (data.Length < tag.Bytes.Length && tag.Bytes.AsSpan().StartsWith(data))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Length of the longest suffix of <paramref name="data"/> that is a proper prefix of some tag.</summary>
    public int PartialSuffix(ReadOnlySpan<byte> data)
    {
        if (_tags.Length == 0)
        {
            return 0;
        }

        int from = Math.Max(0, data.Length - (MaxLength - 1));
        while (from < data.Length)
        {
            int found = data[from..].IndexOfAny(_first);
            if (found < 0)
            {
                return 0;
            }

            from += found;
            if (MayBegin(data[from..]))
            {
                return data.Length - from;
            }

            from++;
        }

        return 0;
    }
}
