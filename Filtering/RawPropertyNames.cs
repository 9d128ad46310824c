using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CotProxy.Filtering;

/// <summary>
/// Walks the property names of a JSON document in its raw bytes, a vector at a time: a name is the
/// string that ends in a quote directly followed by a colon. Exact only for a document with no
/// escaped quote (the caller checks that first), where every quote byte delimits a string; a
/// document with whitespace before a colon sets <see cref="SpaceBeforeColon"/>, as such a name is not seen.
/// </summary>
internal ref struct RawPropertyNames
{
    private const int Half = 16;
    private const int Block = 2 * Half;

    private readonly ReadOnlySpan<byte> _json;
    private int _base;
    private uint _quotes;
    private uint _ends;
    private int _lastQuoteBefore;

    public RawPropertyNames(ReadOnlySpan<byte> json)
    {
        _json = json;
        _base = -Block;
        _lastQuoteBefore = -1;
    }

    /// <summary>Where the current name starts (after its opening quote).</summary>
    public int NameStart { get; private set; }

    /// <summary>Where the current name ends (its closing quote).</summary>
    public int NameEnd { get; private set; }

    /// <summary>Where the current name's value starts (whitespace after the colon skipped).</summary>
    public int ValueStart { get; private set; }

    /// <summary>Some colon follows whitespace: a name may have been missed.</summary>
    public bool SpaceBeforeColon { get; private set; }

    public readonly ReadOnlySpan<byte> Name => _json[NameStart..NameEnd];

    public readonly ReadOnlySpan<byte> Value => _json[ValueStart..];

    public bool MoveNext()
    {
        while (_ends == 0)
        {
            if (!NextBlock())
            {
                return false;
            }
        }

        int bit = BitOperations.TrailingZeroCount(_ends);
        _ends &= _ends - 1;
        uint before = _quotes & ((1u << bit) - 1);
        int opening = before != 0 ? _base + 31 - BitOperations.LeadingZeroCount(before) : _lastQuoteBefore;
        NameEnd = _base + bit;
        NameStart = opening + 1;
        int value = NameEnd + 2;
        while (value < _json.Length && IsWhitespace(_json[value]))
        {
            value++;
        }

        ValueStart = value;
        return true;
    }

    /// <summary>RFC 8259 §2: the four insignificant whitespace bytes.</summary>
    public static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private bool NextBlock()
    {
        if (_quotes != 0)
        {
            _lastQuoteBefore = _base + 31 - BitOperations.LeadingZeroCount(_quotes);
        }

        const int block = Block;
        _base += block;
        if (_base >= _json.Length)
        {
            _quotes = 0;
            return false;
        }

        // Two 16-byte halves (SSE2 and Arm64 AdvSimd alike) make one 32-bit mask of each kind.
        Span<byte> padding = stackalloc byte[Half];
        (uint quotes, uint colons, uint spaces) = Masks(_json, _base, padding);
        (uint quotesHigh, uint colonsHigh, uint spacesHigh) = Masks(_json, _base + Half, padding);
        quotes |= quotesHigh << Half;
        colons |= colonsHigh << Half;
        spaces |= spacesHigh << Half;

        int next = _base + block;
        uint colonAfter = (colons >> 1) | (next < _json.Length && _json[next] == (byte)':' ? 1u << (block - 1) : 0);
        if ((spaces & colonAfter) != 0)
        {
            SpaceBeforeColon = true;
        }

        _quotes = quotes;
        _ends = quotes & colonAfter;
        return true;
    }

    /// <summary>
    /// Bit masks of the 16 bytes at <paramref name="at"/> (none past the end): quotes, colons, and every
    /// byte up to the space (the JSON whitespace, and control bytes no valid document has outside a string).
    /// </summary>
    private static (uint Quotes, uint Colons, uint Spaces) Masks(ReadOnlySpan<byte> json, int at, Span<byte> padding)
    {
        if (at >= json.Length)
        {
            return (0, 0, 0);
        }

        Vector128<byte> bytes = json.Length - at >= Half
            ? Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(json), (nuint)at)
            : Vector128.Create((ReadOnlySpan<byte>)Padded(json[at..], padding));
        return (Vector128.Equals(bytes, Vector128.Create((byte)'"')).ExtractMostSignificantBits(),
            Vector128.Equals(bytes, Vector128.Create((byte)':')).ExtractMostSignificantBits(),
            Vector128.LessThanOrEqual(bytes, Vector128.Create((byte)' ')).ExtractMostSignificantBits());
    }

    /// <summary>The last bytes, zero-padded to a whole block (zero is neither a quote nor a colon).</summary>
    private static Span<byte> Padded(ReadOnlySpan<byte> rest, Span<byte> block)
    {
        block.Clear();
        rest.CopyTo(block);
        return block;
    }
}
