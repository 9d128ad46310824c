using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>
/// The fast path: decides from a document's raw bytes, without decoding it, that rewriting it would
/// change nothing but (maybe) the root model name and would leave every choice's filter state as it
/// is. It may say no to a document that needs no change (that one takes the full path); it never says
/// yes to one that does. Its first check makes the rest sound: the document holds no byte a tag
/// begins with and no escape but \n \t \r \/ \b \f, so no decoded string can hold a tag's first
/// character, every quote byte delimits a string, and a name found in the raw bytes is that name.
/// </summary>
internal sealed class RawDocumentProbe
{
    private readonly SearchValues<byte> _stops;
    private readonly byte[] _tagFirstBytes;
    private readonly bool _filters;
    private readonly bool _startsOpen;
    private readonly byte[]? _model;

    public RawDocumentProbe(ResponseRewriteOptions options)
    {
        _filters = options.FiltersThinking;
        _startsOpen = options.StartsOpen;
        _model = options.ClientModelNameUtf8;
        _tagFirstBytes = _filters ? [options.StartTagUtf8[0], options.EndTagUtf8[0]] : [];
        // A quote inside a string is always escaped, and escaped quotes send the document down the full path.
        byte[] stops = [(byte)'\\', .. _tagFirstBytes.Where(b => b != (byte)'"')];
        _stops = SearchValues.Create(stops);
        if (_model is not null)
        {
            using var quoted = new PooledByteBuffer(_model.Length + 2);
            JsonStringEscaper.WriteQuoted(_model, quoted);
            QuotedModel = quoted.WrittenSpan.ToArray();
        }
    }

    /// <summary>The client's model name as a JSON string literal, quotes included.</summary>
    public byte[] QuotedModel { get; } = [];

    /// <summary>
    /// True when <paramref name="json"/> may go out as its own bytes, with the range
    /// [<paramref name="modelAt"/>, +<paramref name="modelLength"/>) (a quoted root "model" value)
    /// replaced by <see cref="QuotedModel"/> when the length is not zero.
    /// </summary>
    public bool CanPass(ReadOnlySpan<byte> json, JsonRewriteContext context, out int modelAt, out int modelLength)
    {
        modelAt = 0;
        modelLength = 0;
        if (!HasOnlyPlainEscapes(json))
        {
            return false;
        }

        if (_filters)
        {
            // Reasoning the upstream separated (reasoning_content, reasoning, reasoning_details, Ollama thinking).
            if (json.IndexOf("\"reasoning"u8) >= 0 || json.IndexOf("\"thinking\""u8) >= 0)
            {
                return false;
            }

            // A starts-open text this long is committed to thinking by the stripper (MaxOpenThoughtBytes).
            if (_startsOpen && json.Length > ThinkTagStripper.MaxOpenThoughtBytes)
            {
                return false;
            }

            if (context.Streaming && !LeavesChoicesAsTheyAre(json, context))
            {
                return false;
            }
        }

        return _model is null || FindModelToReplace(json, out modelAt, out modelLength);
    }

    /// <summary>No tag's first byte, and no escape that could stand for one, for a quote or for a backslash.</summary>
    private bool HasOnlyPlainEscapes(ReadOnlySpan<byte> json)
    {
        int at = 0;
        while (true)
        {
            int found = json[at..].IndexOfAny(_stops);
            if (found < 0)
            {
                return true;
            }

            at += found;
            if (json[at] != (byte)'\\' || at + 1 == json.Length)
            {
                return false;
            }

            // RFC 8259 §7: the two-character escapes; \" \\ and \uXXXX are left to the full path.
            byte decoded = json[at + 1] switch
            {
                (byte)'n' => (byte)'\n',
                (byte)'t' => (byte)'\t',
                (byte)'r' => (byte)'\r',
                (byte)'/' => (byte)'/',
                (byte)'b' => (byte)'\b',
                (byte)'f' => (byte)'\f',
                _ => 0,
            };
            if (decoded == 0 || _tagFirstBytes.AsSpan().Contains(decoded))
            {
                return false;
            }

            at += 2;
        }
    }

    /// <summary>
    /// Streams: no choice finishes here, and every choice the document may carry text or a role for
    /// is known and steady (see <see cref="ChoiceFilterState.IsSteady"/>).
    /// </summary>
    private static bool LeavesChoicesAsTheyAre(ReadOnlySpan<byte> json, JsonRewriteContext context)
    {
        if (!AllValuesStartWith(json, "\"finish_reason\""u8, "null"u8) || !AllValuesStartWith(json, "\"done\""u8, "false"u8))
        {
            return false;
        }

        bool content = HasProperty(json, "\"content\""u8);
        bool text = HasProperty(json, "\"text\""u8);
        bool role = HasProperty(json, "\"role\""u8);
        bool ollama = HasProperty(json, "\"message\""u8) || HasProperty(json, "\"response\""u8);
        if (!(content || text || role || ollama))
        {
            return true;
        }

        if (ollama && !IsSteady(context, ChoiceFilterState.OllamaIndex, content: true, text: false, role))
        {
            return false;
        }

        if (!HasProperty(json, "\"choices\""u8))
        {
            return true;
        }

        // A choice without "index" is numbered by its position: any position up to the number of
        // objects that follow a comma (each later array element) is possible.
        int positions = CountObjectsAfterComma(json);
        for (int ordinal = 0; ordinal <= positions; ordinal++)
        {
            if (!IsSteady(context, ordinal, content, text, role))
            {
                return false;
            }
        }

        int from = 0;
        int value;
        while ((value = NextValue(json, "\"index\""u8, ref from)) >= 0)
        {
            if (!TryParseIndex(json[value..], out int index) || !IsSteady(context, index, content, text, role))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSteady(JsonRewriteContext context, int index, bool content, bool text, bool role) =>
        context.TryGetChoice(index, out ChoiceFilterState? choice) && choice.IsSteady(content, text, role);

    /// <summary>The one root "model" string, if it differs from the client's name; false when there are several.</summary>
    private bool FindModelToReplace(ReadOnlySpan<byte> json, out int at, out int length)
    {
        at = 0;
        length = 0;
        int from = 0;
        int value = NextValue(json, "\"model\""u8, ref from);
        if (value < 0)
        {
            return true;
        }

        int name = from - "\"model\""u8.Length;
        if (NextValue(json, "\"model\""u8, ref from) >= 0)
        {
            return false;
        }

        if (value == json.Length || json[value] != (byte)'"' || DepthAt(json, name) != 1)
        {
            // Not a string, or not the root's: the full path would leave it as it is too.
            return true;
        }

        int close = json[(value + 1)..].IndexOf((byte)'"');
        if (close < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> current = json.Slice(value + 1, close);
        if (current.Contains((byte)'\\'))
        {
            return false;
        }

        if (!current.SequenceEqual(_model))
        {
            at = value;
            length = close + 2;
        }

        return true;
    }

    /// <summary>Nesting depth at <paramref name="position"/>, strings skipped (no escaped quote is in the document).</summary>
    private static int DepthAt(ReadOnlySpan<byte> json, int position)
    {
        int depth = 0;
        int at = 0;
        while (at < position)
        {
            int found = json[at..position].IndexOfAny("\"{}[]"u8);
            if (found < 0)
            {
                break;
            }

            at += found;
            if (json[at] == (byte)'"')
            {
                int close = json[(at + 1)..].IndexOf((byte)'"');
                if (close < 0)
                {
                    return -1;
                }

                at += close + 2;
                continue;
            }

            depth += json[at] is (byte)'{' or (byte)'[' ? 1 : -1;
            at++;
        }

        return depth;
    }

    private static bool HasProperty(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName)
    {
        int from = 0;
        return NextValue(json, quotedName, ref from) >= 0;
    }

    private static bool AllValuesStartWith(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName, ReadOnlySpan<byte> literal)
    {
        int from = 0;
        int value;
        while ((value = NextValue(json, quotedName, ref from)) >= 0)
        {
            if (!json[value..].StartsWith(literal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Where the value of the next property <paramref name="quotedName"/> at or after <paramref name="from"/> starts; -1 when there is none.</summary>
    private static int NextValue(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName, ref int from)
    {
        while (from < json.Length)
        {
            int found = json[from..].IndexOf(quotedName);
            if (found < 0)
            {
                from = json.Length;
                return -1;
            }

            from += found + quotedName.Length;
            int colon = SkipWhitespace(json, from);
            if (colon < json.Length && json[colon] == (byte)':')
            {
                return SkipWhitespace(json, colon + 1);
            }
        }

        return -1;
    }

    private static int CountObjectsAfterComma(ReadOnlySpan<byte> json)
    {
        int count = 0;
        int at = 0;
        while (true)
        {
            int found = json[at..].IndexOf((byte)'{');
            if (found < 0)
            {
                return count;
            }

            at += found;
            int before = at - 1;
            while (before >= 0 && IsWhitespace(json[before]))
            {
                before--;
            }

            if (before >= 0 && json[before] == (byte)',')
            {
                count++;
            }

            at++;
        }
    }

    /// <summary>A plain non-negative int (what the full path reads as a choice index), followed by the end of the value.</summary>
    private static bool TryParseIndex(ReadOnlySpan<byte> value, out int index)
    {
        index = 0;
        int digits = 0;
        while (digits < value.Length && value[digits] is >= (byte)'0' and <= (byte)'9')
        {
            if (digits == 9)
            {
                return false;
            }

            index = (index * 10) + (value[digits] - '0');
            digits++;
        }

        return digits > 0 && (digits == value.Length || value[digits] is (byte)',' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n');
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int at)
    {
        while (at < json.Length && IsWhitespace(json[at]))
        {
            at++;
        }

        return at;
    }

    /// <summary>RFC 8259 §2: the four insignificant whitespace bytes.</summary>
    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}
