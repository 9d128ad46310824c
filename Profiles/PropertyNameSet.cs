using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CotProxy.Profiles;

/// <summary>
/// Refuses an object that names a property twice, at any depth, as <c>JsonDocumentOptions.AllowDuplicateProperties =
/// false</c> did for the tree this scan replaces (with the same message). RFC 8259 §4 leaves duplicate names undefined and
/// servers disagree on which one wins, so a body with duplicates cannot be rewritten safely. The names of every open
/// object sit on one stack of offsets into the body; an object's names are checked when it closes, by hash.
/// </summary>
internal struct PropertyNameSet : IDisposable
{
    private const int SortAbove = 8;

    private NameRef[] _names;
    private int _count;

    public PropertyNameSet()
    {
        _names = ArrayPool<NameRef>.Shared.Rent(64);
    }

    /// <summary>Where the current object's names begin on the stack: pass it back to <see cref="CloseObject"/>.</summary>
    public readonly int Mark => _count;

    /// <summary>Notes the property name the reader is on.</summary>
    public void Add(ref Utf8JsonReader reader)
    {
        if (_count == _names.Length)
        {
            NameRef[] bigger = ArrayPool<NameRef>.Shared.Rent(_names.Length * 2);
            _names.AsSpan(0, _count).CopyTo(bigger);
            ArrayPool<NameRef>.Shared.Return(_names);
            _names = bigger;
        }

        var name = new NameRef((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, reader.ValueIsEscaped, 0);
        _names[_count++] = name with { Hash = Hash(name, reader.ValueSpan) };
    }

    /// <summary>Checks the names added since <paramref name="mark"/> (the object that just closed) and drops them.</summary>
    /// <exception cref="JsonException">Two of them are the same name.</exception>
    public void CloseObject(ReadOnlySpan<byte> json, int mark)
    {
        Span<NameRef> names = _names.AsSpan(mark, _count - mark);
        _count = mark;
        if (names.Length < 2)
        {
            return;
        }

        if (names.Length <= SortAbove)
        {
            for (int i = 1; i < names.Length; i++)
            {
                for (int j = 0; j < i; j++)
                {
                    CheckPair(json, names[i], names[j]);
                }
            }

            return;
        }

        names.Sort();
        for (int i = 1; i < names.Length; i++)
        {
            for (int j = i - 1; j >= 0 && names[j].Hash == names[i].Hash; j--)
            {
                CheckPair(json, names[i], names[j]);
            }
        }
    }

    public void Dispose()
    {
        NameRef[] names = _names;
        _names = [];
        if (names.Length > 0)
        {
            ArrayPool<NameRef>.Shared.Return(names);
        }
    }

    private static void CheckPair(ReadOnlySpan<byte> json, NameRef a, NameRef b)
    {
        if (a.Hash != b.Hash)
        {
            return;
        }

        ReadOnlySpan<byte> rawA = json.Slice(a.Start, a.Length);
        ReadOnlySpan<byte> rawB = json.Slice(b.Start, b.Length);
        if (!a.Escaped && !b.Escaped)
        {
            if (rawA.SequenceEqual(rawB))
            {
                ThrowDuplicate(rawA);
            }

            return;
        }

        byte[]? rentedA = null;
        byte[]? rentedB = null;
        try
        {
            Span<byte> decodedA = a.Length <= 128 ? stackalloc byte[128] : (rentedA = ArrayPool<byte>.Shared.Rent(a.Length));
            Span<byte> decodedB = b.Length <= 128 ? stackalloc byte[128] : (rentedB = ArrayPool<byte>.Shared.Rent(b.Length));
            decodedA = decodedA[..Decode(rawA, a.Escaped, decodedA)];
            decodedB = decodedB[..Decode(rawB, b.Escaped, decodedB)];
            if (decodedA.SequenceEqual(decodedB))
            {
                ThrowDuplicate(decodedA);
            }
        }
        finally
        {
            if (rentedA is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedA);
            }

            if (rentedB is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedB);
            }
        }
    }

    private static int Hash(NameRef name, ReadOnlySpan<byte> raw)
    {
        var hash = default(HashCode);
        if (!name.Escaped)
        {
            hash.AddBytes(raw);
            return hash.ToHashCode();
        }

        byte[]? rented = null;
        try
        {
            Span<byte> decoded = raw.Length <= 128 ? stackalloc byte[128] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
            hash.AddBytes(decoded[..Decode(raw, true, decoded)]);
            return hash.ToHashCode();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    // A decoded name is never longer than its escaped text, so a destination of raw.Length always holds it.
    private static int Decode(ReadOnlySpan<byte> raw, bool escaped, Span<byte> destination)
    {
        if (!escaped)
        {
            raw.CopyTo(destination);
            return raw.Length;
        }

        var unescaper = new JsonStringUnescaper(raw);
        int written = 0;
        int n;
        while ((n = unescaper.Read(destination[written..])) > 0)
        {
            written += n;
        }

        return written;
    }

    // System.Text.Json's wording, long names cut to 15 UTF-16 characters as it cuts them.
    private static void ThrowDuplicate(ReadOnlySpan<byte> name)
    {
        string text = Encoding.UTF8.GetString(name);
        throw new JsonException($"Duplicate property '{(text.Length > 15 ? string.Concat(text.AsSpan(0, 15), "...") : text)}' encountered during deserialization.");
    }

    private readonly record struct NameRef(int Start, int Length, bool Escaped, int Hash) : IComparable<NameRef>
    {
        public int CompareTo(NameRef other) => Hash.CompareTo(other.Hash);
    }
}
