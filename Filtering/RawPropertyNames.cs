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
    // 32 bytes a step where the CPU has 256-bit vectors (x64 AVX2), else 16 (SSE2, Arm64 AdvSimd).
    private static readonly int s_block = Vector256.IsHardwareAccelerated ? 32 : 16;

    private readonly ReadOnlySpan<byte> _json;
    private int _base;
    private uint _quotes;
    private uint _ends;
    private int _lastQuoteBefore;

    public RawPropertyNames(ReadOnlySpan<byte> json)
    {
        _json = json;
        _base = -s_block;
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

        int block = s_block;
        _base += block;
        if (_base >= _json.Length)
        {
            _quotes = 0;
            return false;
        }

        uint quotes;
        uint colons;
        uint spaces;
        if (block == 32)
        {
            Vector256<byte> bytes = _json.Length - _base >= 32
                ? Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(_json), (nuint)_base)
                : Vector256.Create((ReadOnlySpan<byte>)Padded(_json[_base..], stackalloc byte[32]));
            quotes = Vector256.Equals(bytes, Vector256.Create((byte)'"')).ExtractMostSignificantBits();
            colons = Vector256.Equals(bytes, Vector256.Create((byte)':')).ExtractMostSignificantBits();
            // Every byte up to the space: the JSON whitespace and the control bytes no valid document has outside a string.
            spaces = Vector256.LessThanOrEqual(bytes, Vector256.Create((byte)' ')).ExtractMostSignificantBits();
        }
        else
        {
            Vector128<byte> bytes = _json.Length - _base >= 16
                ? Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(_json), (nuint)_base)
                : Vector128.Create((ReadOnlySpan<byte>)Padded(_json[_base..], stackalloc byte[16]));
            quotes = Vector128.Equals(bytes, Vector128.Create((byte)'"')).ExtractMostSignificantBits();
            colons = Vector128.Equals(bytes, Vector128.Create((byte)':')).ExtractMostSignificantBits();
            spaces = Vector128.LessThanOrEqual(bytes, Vector128.Create((byte)' ')).ExtractMostSignificantBits();
        }

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

    /// <summary>The last bytes, zero-padded to a whole block (zero is neither a quote nor a colon).</summary>
    private static Span<byte> Padded(ReadOnlySpan<byte> rest, Span<byte> block)
    {
        block.Clear();
        rest.CopyTo(block);
        return block;
    }
}
