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
/// <remarks>Immutable: one instance serves every response of its options (see <see cref="ResponseRewriteOptions.Probe"/>).</remarks>
internal sealed class RawDocumentProbe
{
    /// <summary>A document naming more choice indexes than this takes the full path.</summary>
    private const int MaxIndexes = 8;

    private static readonly byte[] s_ollamaThinking = "thinking"u8.ToArray();
    private static readonly SearchValues<byte> s_structure = SearchValues.Create("\"{}[]"u8);

    private static readonly SearchValues<byte> s_escapes = SearchValues.Create("\\"u8);

    private readonly SearchValues<byte> _stops;
    private readonly SearchValues<byte> _templateStops;
    private readonly SearchValues<byte> _templateStopsTagsOver;
    private readonly byte[] _reasoningField;
    private readonly byte[] _tagFirstBytes;
    private readonly bool _filters;
    private readonly bool _split;
    private readonly bool _twoFields;
    private readonly bool _merge;
    private readonly bool _startsOpen;
    private readonly byte[]? _model;

    public RawDocumentProbe(ResponseRewriteOptions options)
    {
        _filters = options.FiltersThinking;
        _split = options.Mode == ThinkMode.Split;
        _twoFields = options.SecondReasoningFieldUtf8 is not null;
        _merge = options.Mode == ThinkMode.Merge;
        _reasoningField = options.ReasoningFieldUtf8;
        _startsOpen = options.StartsOpen;
        _model = options.ClientModelNameUtf8;
        _tagFirstBytes = _filters ? options.Tags.FirstBytes : [];
        // A quote inside a string is always escaped, and escaped quotes send the document down the full path.
        byte[] stops = [(byte)'\\', .. _tagFirstBytes.Where(b => b != (byte)'"')];
        _stops = SearchValues.Create(stops);
        // What a template's content value may not hold (see IsTemplateValue): JSON's control bytes, a quote, a backslash, a
        // brace, a colon, and (until no tag can count any more) a tag's first byte.
        byte[] templateStops = [.. Enumerable.Range(0, 0x20).Select(b => (byte)b), .. "\"\\{:"u8];
        _templateStopsTagsOver = SearchValues.Create(templateStops);
        _templateStops = SearchValues.Create([.. templateStops, .. _tagFirstBytes]);
        if (_model is not null)
        {
            using var quoted = new PooledByteBuffer(_model.Length + 2);
            JsonStringEscaper.WriteQuoted(_model, quoted);
            QuotedModel = quoted.WrittenSpan.ToArray();
        }
    }

    /// <summary>The field a MoveThought (or MoveOllamaThought: "thinking") verdict moves the thought into.</summary>
    public byte[] MoveField(ProbeVerdict verdict) => verdict == ProbeVerdict.MoveOllamaThought ? s_ollamaThinking : _reasoningField;

    /// <summary>The client's model name as a JSON string literal, quotes included.</summary>
    public byte[] QuotedModel { get; } = [];

    /// <summary>
    /// True when <paramref name="json"/> may go out as its own bytes, with the range
    /// [<paramref name="modelAt"/>, +<paramref name="modelLength"/>) (a quoted root "model" value)
    /// replaced by <see cref="QuotedModel"/> when the length is not zero.
    /// </summary>
    public bool CanPass(ReadOnlySpan<byte> json, JsonRewriteContext context, out int modelAt, out int modelLength) =>
        Decide(json, context, out modelAt, out modelLength) == ProbeVerdict.Pass;

    /// <summary>
    /// What may be done with <paramref name="json"/> without decoding it. Pass: its own bytes, the range
    /// [<paramref name="at"/>, +<paramref name="length"/>) replaced by <see cref="QuotedModel"/> when the
    /// length is not zero. DropThought: nothing (strip). MoveThought: the quoted content value at that
    /// range becomes "" and moves into the reasoning field right after it (split).
    /// </summary>
    public ProbeVerdict Decide(ReadOnlySpan<byte> json, JsonRewriteContext context, out int at, out int length) =>
        Decide(json, context, out at, out length, out _);

    /// <summary>
    /// <see cref="Decide(ReadOnlySpan{byte}, JsonRewriteContext, out int, out int)"/>, and where the value of the document's
    /// one "content" name starts when it is a string (its opening quote; -1 when there is none, or more than one).
    /// </summary>
    public ProbeVerdict Decide(ReadOnlySpan<byte> json, JsonRewriteContext context, out int at, out int length, out int content)
    {
        at = 0;
        length = 0;
        content = -1;
        if (_merge && context.OpenReasonings > 0)
        {
            // Merge mode inside separated reasoning: the next answer, tool call or finish closes it (ReasoningMerger).
            return ProbeVerdict.FullPath;
        }

        // Start-anchored, once every choice is past the point where a tag can count, a tag's bytes are answer text: only
        // escapes still matter (a choice not known yet is not steady, so its document takes the full path below).
        bool tagsOver = _filters && context.Streaming && AllAcceptNoTag(context);
        if (!HasOnlyPlainEscapes(json, tagsOver ? s_escapes : _stops))
        {
            return ProbeVerdict.FullPath;
        }

        // A starts-open text this long is committed to thinking by the stripper (MaxOpenThoughtBytes).
        if (_filters && _startsOpen && json.Length > ThinkTagStripper.MaxOpenThoughtBytes)
        {
            return ProbeVerdict.FullPath;
        }

        var names = new Names(stackalloc int[MaxIndexes]);
        if (!WalkNames(json, ref names))
        {
            return ProbeVerdict.FullPath;
        }

        if (names.ContentCount == 1 && names.ContentValue < json.Length && json[names.ContentValue] == (byte)'"')
        {
            content = names.ContentValue;
        }

        if (_filters && context.Streaming && !LeavesChoicesAsTheyAre(json, context, ref names))
        {
            return WhollyInThought(json, context, ref names, out at, out length);
        }

        // A document that is not JSON at all (an event an upstream broke with a raw line break) has no names to walk, so
        // it looks like one that leaves every choice as it is; the full path cannot read it and drops it. While a thought
        // may be open it may be thinking: only the full path decides (found by fuzz/run sse). Where the template opens the
        // thought, a choice not seen yet is in one: there a document must at least be shaped as an object.
        if (_filters && (MayBeInThought(context) || (_startsOpen && !ShapedAsObject(json))))
        {
            return ProbeVerdict.FullPath;
        }

        if (_model is null || names.ModelCount == 0)
        {
            return ProbeVerdict.Pass;
        }

        return names.ModelCount == 1 && FindModelToReplace(json, names.ModelName, names.ModelValue, out at, out length)
            ? ProbeVerdict.Pass
            : ProbeVerdict.FullPath;
    }

    /// <summary>The bytes a template's content value may not hold in this state (see <see cref="IsTemplateValue"/>).</summary>
    public SearchValues<byte> TemplateStops(JsonRewriteContext context) =>
        _filters && context.Streaming && AllAcceptNoTag(context) ? _templateStopsTagsOver : _templateStops;

    /// <summary>
    /// <paramref name="value"/>, the raw bytes of a document's one content string, may be swapped for any other value this
    /// accepts, the bytes around it and the filter state being the same, and <see cref="Decide(ReadOnlySpan{byte}, JsonRewriteContext, out int, out int, out int)"/> answers the same (see
    /// <see cref="EventTemplate"/>). Each of its steps reads the same bytes then: with no quote in the value every name and
    /// string stays where it was; with no backslash and no tag byte (while a tag can count) the escape check passes alike;
    /// with no brace the objects after a comma are the same; with no colon at its start or after a space, and no control
    /// byte (the walk takes those for spacing), the walk sees the same names and no new spacing before a colon. Not empty,
    /// as a thought must have text; for a thought moved aside, no space at its end (the stripper holds one as the margin
    /// before an end tag). Where the value is changes nothing: every other rule reads bytes around it, or the state.
    /// </summary>
    public static bool IsTemplateValue(ReadOnlySpan<byte> value, SearchValues<byte> stops, ProbeVerdict verdict)
    {
        if (value.IsEmpty || (verdict is ProbeVerdict.MoveThought or ProbeVerdict.MoveOllamaThought && value[^1] == (byte)' '))
        {
            return false;
        }

        int at = 0;
        int found;
        while ((found = value[at..].IndexOfAny(stops)) >= 0)
        {
            at += found;
            if (value[at] != (byte)':' || at == 0 || value[at - 1] == (byte)' ')
            {
                return false;
            }

            at++;
        }

        return true;
    }

    /// <summary>
    /// A stream event whose one text is a delta or Ollama message "content" of a single known choice in
    /// the middle of a thought: with no byte a tag begins with, all of it is thinking and the state stays.
    /// </summary>
    private ProbeVerdict WhollyInThought(ReadOnlySpan<byte> json, JsonRewriteContext context, ref Names names, out int at, out int length)
    {
        at = 0;
        length = 0;
        bool ollama = names.Has(Seen.Ollama);
        if (names.Has(Seen.Payload) || names.Has(Seen.Text) || names.ContentCount != 1
            || ollama == names.Has(Seen.Choices) || CountObjectsAfterComma(json) != 0)
        {
            return ProbeVerdict.FullPath;
        }

        bool role = names.Has(Seen.Role);
        if (ollama ? !InThought(context, ChoiceFilterState.OllamaIndex, role) : !InThought(context, 0, role)
            || (names.IndexCount > 0 && !InThought(context, names.Indexes[0], role)) || names.IndexCount > 1)
        {
            return ProbeVerdict.FullPath;
        }

        // A non-empty string: the full path would pass an empty one as it came.
        int value = names.ContentValue;
        int close = value + 1 < json.Length && json[value] == (byte)'"' ? json[(value + 1)..].IndexOf((byte)'"') : -1;
        if (close <= 0)
        {
            return ProbeVerdict.FullPath;
        }

        if (_merge)
        {
            // The thought stays in the content; the full path writes it (with its <think> around it).
            return ProbeVerdict.FullPath;
        }

        if (!_split)
        {
            return ProbeVerdict.DropThought;
        }

        // Split: spliced only where the full path would write the same bytes: the content is the last
        // property of its object, escaped the way it re-escapes (\n \r \t), and no model to rename.
        ReadOnlySpan<byte> raw = json.Slice(value + 1, close);
        int end = value + close + 2;
        // reasoning_field=both writes two fields: only the full path does.
        if (_twoFields || end >= json.Length || json[end] != (byte)'}' || HasEscapeOtherThanLineBreaks(raw) || EndsWithWhitespace(raw)
            || (_model is not null && names.ModelCount > 0))
        {
            return ProbeVerdict.FullPath;
        }

        at = value;
        length = close + 2;
        return ollama ? ProbeVerdict.MoveOllamaThought : ProbeVerdict.MoveThought;
    }

    private static bool AllAcceptNoTag(JsonRewriteContext context)
    {
        if (context.Choices.Count == 0)
        {
            return false;
        }

        foreach (ChoiceFilterState choice in context.Choices)
        {
            if (!choice.AcceptsNoTag)
            {
                return false;
            }
        }

        return true;
    }

    private static bool InThought(JsonRewriteContext context, int index, bool role) =>
        context.TryGetChoice(index, out ChoiceFilterState? choice) && choice.IsSteadyThought(role);

    /// <summary>Whitespace at a thought's end is held by the stripper (it may be the margin before the end tag), so the full path decides.</summary>
    private static bool EndsWithWhitespace(ReadOnlySpan<byte> raw) =>
        raw[^1] is (byte)' ' || (raw.Length >= 2 && raw[^2] == (byte)'\\' && raw[^1] is (byte)'n' or (byte)'r' or (byte)'t');

    private static bool HasEscapeOtherThanLineBreaks(ReadOnlySpan<byte> raw)
    {
        int at = 0;
        int found;
        while ((found = raw[at..].IndexOf((byte)'\\')) >= 0)
        {
            at += found + 1;
            if (at == raw.Length || raw[at] is not ((byte)'n' or (byte)'r' or (byte)'t'))
            {
                return true;
            }

            at++;
        }

        return false;
    }

    /// <summary>
    /// No tag's first byte in a string, and no escape that could stand for one, for a quote or for a backslash. A tag that
    /// begins with a byte JSON also uses outside strings (Mistral's [THINK]) stops the walk only inside a string: every quote
    /// before it delimits a string (an escaped quote would have stopped the walk first), so their count tells.
    /// </summary>
    private bool HasOnlyPlainEscapes(ReadOnlySpan<byte> json, SearchValues<byte> stops)
    {
        int at = 0;
        int quotes = 0;
        int counted = 0;
        while (true)
        {
            int found = json[at..].IndexOfAny(stops);
            if (found < 0)
            {
                return true;
            }

            at += found;
            if (s_structure.Contains(json[at]))
            {
                quotes += json[counted..at].Count((byte)'"');
                counted = at;
                if ((quotes & 1) == 0)
                {
                    at++;
                    continue;
                }

                return false;
            }

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
            if (decoded == 0 || (stops == _stops && _tagFirstBytes.AsSpan().Contains(decoded)))
            {
                return false;
            }

            at += 2;
        }
    }

    /// <summary>
    /// Every property name in the document, found as the string before each quote-colon: no name can
    /// hide, as there is no escaped quote and no spacing before a colon. False on what only the full
    /// path may handle: separated reasoning, a finish, an index that is not a plain number, too many indexes.
    /// </summary>
    private bool WalkNames(ReadOnlySpan<byte> json, ref Names names)
    {
        var walk = new RawPropertyNames(json);
        while (walk.MoveNext())
        {
            Seen seen = Classify(walk.Name);
            if (!_filters && seen != Seen.Model)
            {
                // Without a thinking filter only the model name matters.
                continue;
            }

            ReadOnlySpan<byte> value = walk.Value;
            names.Saw |= 1 << (int)seen;
            bool plain = seen switch
            {
                // Ollama native: "done": true finishes the message.
                Seen.Done => value.StartsWith("false"u8),
                Seen.Finish => value.StartsWith("null"u8),
                Seen.Model => names.NoteModel(walk.NameStart - 1, walk.ValueStart),
                Seen.Index => names.IndexCount < MaxIndexes && TryParseIndex(value, out names.Indexes[names.IndexCount++]),
                Seen.Content => names.NoteContent(walk.ValueStart),
                Seen.Reasoning => false,
                _ => true,
            };
            if (!plain)
            {
                return false;
            }
        }

        // Whitespace before a colon may have hidden a name from the walk.
        return !walk.SpaceBeforeColon;
    }

    private static Seen Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        4 when name.SequenceEqual("text"u8) => Seen.Text,
        4 when name.SequenceEqual("role"u8) => Seen.Role,
        4 when name.SequenceEqual("done"u8) => Seen.Done,
        5 when name.SequenceEqual("model"u8) => Seen.Model,
        5 when name.SequenceEqual("index"u8) => Seen.Index,
        7 when name.SequenceEqual("content"u8) => Seen.Content,
        7 when name.SequenceEqual("choices"u8) => Seen.Choices,
        // Ollama native: the answer in a root "message" object or "response" string.
        7 when name.SequenceEqual("message"u8) => Seen.Ollama,
        8 when name.SequenceEqual("response"u8) => Seen.Ollama,
        // Ollama native's separated reasoning.
        8 when name.SequenceEqual("thinking"u8) => Seen.Reasoning,
        13 when name.SequenceEqual("finish_reason"u8) => Seen.Finish,
        // Payload of its own: the event stays even when its text is all thought.
        5 when name.SequenceEqual("usage"u8) || name.SequenceEqual("error"u8) => Seen.Payload,
        7 when name.SequenceEqual("refusal"u8) => Seen.Payload,
        10 when name.SequenceEqual("tool_calls"u8) => Seen.Payload,
        13 when name.SequenceEqual("function_call"u8) => Seen.Payload,
        // reasoning_content (DeepSeek, llama.cpp, vLLM), reasoning (Ollama /v1, Groq), reasoning_details (OpenRouter).
        _ when name.StartsWith("reasoning"u8) => Seen.Reasoning,
        _ => Seen.None,
    };

    /// <summary>
    /// Streams: every choice the document may carry text or a role for is known and steady (see
    /// <see cref="ChoiceFilterState.IsSteady"/>), so a tag-free document leaves its state as it is.
    /// </summary>
    private static bool LeavesChoicesAsTheyAre(ReadOnlySpan<byte> json, JsonRewriteContext context, ref Names names)
    {
        bool content = names.Has(Seen.Content);
        bool text = names.Has(Seen.Text);
        bool role = names.Has(Seen.Role);
        bool ollama = names.Has(Seen.Ollama);
        if (!(content || text || role || ollama))
        {
            return true;
        }

        if (ollama && !IsSteady(context, ChoiceFilterState.OllamaIndex, content: true, text: false, role))
        {
            return false;
        }

        if (!names.Has(Seen.Choices))
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

        foreach (int index in names.Indexes[..names.IndexCount])
        {
            if (index > positions && !IsSteady(context, index, content, text, role))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Starts with an object's brace and its first name's quote (or its closing brace), and ends with a brace.</summary>
    private static bool ShapedAsObject(ReadOnlySpan<byte> json)
    {
        json = json.Trim(" \t\r\n"u8);
        if (json.Length < 2 || json[0] != (byte)'{' || json[^1] != (byte)'}')
        {
            return false;
        }

        ReadOnlySpan<byte> inside = json[1..].TrimStart(" \t\r\n"u8);
        return inside[0] is (byte)'"' or (byte)'}';
    }

    /// <summary>Some unfinished choice may be inside a thought, or none was seen yet where the template opened one.</summary>
    private bool MayBeInThought(JsonRewriteContext context)
    {
        if (_startsOpen && context.Choices.Count == 0)
        {
            return true;
        }

        foreach (ChoiceFilterState choice in context.Choices)
        {
            if (choice.MayBeInThought)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSteady(JsonRewriteContext context, int index, bool content, bool text, bool role) =>
        context.TryGetChoice(index, out ChoiceFilterState? choice) && choice.IsSteady(content, text, role);

    /// <summary>The root "model" string value, if it differs from the client's name; false when the full path must decide.</summary>
    private bool FindModelToReplace(ReadOnlySpan<byte> json, int name, int value, out int at, out int length)
    {
        at = 0;
        length = 0;
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

        if (!json.Slice(value + 1, close).SequenceEqual(_model))
        {
            at = value;
            length = close + 2;
        }

        return true;
    }

    /// <summary>Nesting depth at <paramref name="position"/>, strings skipped (no escaped quote is in the document).</summary>
    private static int DepthAt(ReadOnlySpan<byte> json, int position)
    {
        int open = json[..position].IndexOfAny((byte)'{', (byte)'[');
        if (open >= 0 && json[(open + 1)..position].IndexOfAny((byte)'{', (byte)'[') < 0)
        {
            // One opening bracket before it, the root's (strings are skipped below only when there are more).
            return 1;
        }

        int depth = 0;
        int at = 0;
        while (at < position)
        {
            int found = json[at..position].IndexOfAny(s_structure);
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

    private static int CountObjectsAfterComma(ReadOnlySpan<byte> json)
    {
        int count = 0;
        int at = 0;
        int found;
        while ((found = json[at..].IndexOf((byte)'{')) >= 0)
        {
            at += found;
            int before = at - 1;
            while (before >= 0 && RawPropertyNames.IsWhitespace(json[before]))
            {
                before--;
            }

            if (before >= 0 && json[before] == (byte)',')
            {
                count++;
            }

            at++;
        }

        return count;
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

        return digits > 0 && (digits == value.Length || (value[digits] is (byte)',' or (byte)'}' || RawPropertyNames.IsWhitespace(value[digits])));
    }

    /// <summary>The names that matter to the fast path (Payload: usage, error, tool_calls, function_call, refusal).</summary>
    private enum Seen { None, Text, Role, Done, Model, Index, Content, Choices, Ollama, Reasoning, Finish, Payload }

    /// <summary>What the walk over the property names found.</summary>
    private ref struct Names(Span<int> indexes)
    {
        public Span<int> Indexes = indexes;
        public int IndexCount;
        public int ModelCount;
        public int ModelName;
        public int ModelValue;
        public int Saw;
        public int ContentCount;
        public int ContentValue;

        public readonly bool Has(Seen seen) => (Saw & (1 << (int)seen)) != 0;

        public bool NoteContent(int value)
        {
            ContentCount++;
            ContentValue = value;
            return true;
        }

        public bool NoteModel(int name, int value)
        {
            ModelCount++;
            ModelName = name;
            ModelValue = value;
            return true;
        }
    }
}
