using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// State shared by the parts of one <see cref="JsonPayloadRewriter"/>: the options, the per-choice
/// filter state that carries over between stream documents, the reusable buffers, what the current
/// document turned out to hold, and the small read/copy/write steps every part uses.
/// Created once per response; nothing here allocates per document.
/// </summary>
internal sealed class JsonRewriteContext : IDisposable
{
    private readonly List<ChoiceFilterState> _choices = [];
    private readonly Dictionary<int, ChoiceFilterState> _choicesByIndex = [];
    private readonly PooledByteBuffer _escaped = new(0);
    private readonly ThinkTagStripper? _wholeStripper;

    public JsonRewriteContext(ResponseRewriteOptions options, bool streaming)
    {
        Options = options;
        Streaming = streaming;
        if (options.FiltersThinking)
        {
            _wholeStripper = new ThinkTagStripper(options.Tags, options.StartsOpen, options.Mode == ThinkMode.Merge);
        }
    }

    public ResponseRewriteOptions Options { get; }

    /// <summary>Array capacity the buffers below hold now (see <see cref="ReleaseIdleBuffers"/>).</summary>
    internal int BufferCapacity =>
        _escaped.Capacity + FieldOut.Capacity + Scratch.Capacity + ThinkRoot.Capacity + ThinkChoice.Capacity + ThinkContainer.Capacity
        + MergePrefix.Capacity + MergeRootPrefix.Capacity + MergeReasoning.Capacity + KeptTokens.Capacity + Scanner.BufferCapacity;

    /// <summary>
    /// The upstream has gone quiet: every buffer goes back to the pool. All of them are scratch for one document, never
    /// state between documents (each use clears its buffer first: WriteText, Decode, AnswerTextFilter, ChoiceArrayWriter,
    /// MessageContainerWriter, JsonRootWriter, ReasoningMerger.Prepare, LogprobsWriter, LeftoverDocumentWriter). Each
    /// starts empty and rents on its first write, so a thousand idle filtered streams hold none of them
    /// (bench/RESULTS.md, 2026-12-05 morning).
    /// </summary>
    public void ReleaseIdleBuffers()
    {
        Release(_escaped);
        Release(FieldOut);
        Release(Scratch);
        Release(ThinkRoot);
        Release(ThinkChoice);
        Release(ThinkContainer);
        Release(MergePrefix);
        Release(MergeRootPrefix);
        Release(MergeReasoning);
        Release(KeptTokens);
        Scanner.ReleaseIdleBuffers();

        static void Release(PooledByteBuffer buffer)
        {
            buffer.Clear();
            buffer.ReleaseIfEmpty();
        }
    }

    /// <summary>Documents are events of one stream: per-choice state carries over between them.</summary>
    public bool Streaming { get; }

    public bool Filters => Options.FiltersThinking;

    public bool Splits => Options.Mode == ThinkMode.Split;

    public JsonDocumentScanner Scanner { get; } = new();

    /// <summary>Every choice seen so far, in order of first appearance.</summary>
    public List<ChoiceFilterState> Choices => _choices;

    /// <summary>The filtered value of the field being written.</summary>
    public PooledByteBuffer FieldOut { get; } = new(0);

    /// <summary>Unescaped names and values; the released "text" field of a leftover document.</summary>
    public PooledByteBuffer Scratch { get; } = new(0);

    /// <summary>Reasoning collected from root fields (Ollama native /api/generate "response").</summary>
    public PooledByteBuffer ThinkRoot { get; } = new(0);

    /// <summary>Reasoning collected from a choice's "text".</summary>
    public PooledByteBuffer ThinkChoice { get; } = new(0);

    /// <summary>Reasoning collected from a delta or message object's "content".</summary>
    public PooledByteBuffer ThinkContainer { get; } = new(0);

    /// <summary>Merge mode: what goes before the current object's answer text (see <see cref="ReasoningMerger"/>).</summary>
    public PooledByteBuffer MergePrefix { get; } = new(0);

    /// <summary>Merge mode: what goes before an Ollama /api/generate root's "response".</summary>
    public PooledByteBuffer MergeRootPrefix { get; } = new(0);

    /// <summary>Merge mode: the current object's separated reasoning, unescaped.</summary>
    public PooledByteBuffer MergeReasoning { get; } = new(0);

    /// <summary>Merge mode: choices whose separated reasoning was opened with a start tag in the answer and not yet closed.</summary>
    public int OpenReasonings { get; private set; }

    public void SetReasoningOpen(ChoiceFilterState choice, bool open)
    {
        if (choice.ReasoningOpen != open)
        {
            choice.ReasoningOpen = open;
            OpenReasonings += open ? 1 : -1;
        }
    }

    /// <summary>Strip mode: the current choice's delta or message "content", for its logprobs (see <see cref="LogprobsWriter"/>).</summary>
    public LogprobTrack ContentTrack { get; } = new();

    /// <summary>Strip mode: the current choice's "text" (legacy completions), for its logprobs.</summary>
    public LogprobTrack TextTrack { get; } = new();

    /// <summary>One flag per logprobs entry of the array being written: 1 keeps it.</summary>
    public PooledByteBuffer KeptTokens { get; } = new(0);

    /// <summary>Logprobs arrays whose tokens did not spell their text, so all their entries went (failing closed).</summary>
    public int LogprobsMismatches { get; private set; }

    public void CountLogprobsMismatch() => LogprobsMismatches++;

    /// <summary>Strip mode tracks what of each answer text shows, for the logprobs; the other modes hide nothing.</summary>
    public bool TracksLogprobs => Options.Mode == ThinkMode.Strip;

    /// <summary>Something in the current document was rewritten.</summary>
    public bool Changed { get; set; }

    /// <summary>The current document carries something besides filtered text (a finish_reason, usage, a tool call…).</summary>
    public bool Payload { get; set; }

    /// <summary>The current document still carries answer or reasoning text the client sees.</summary>
    public bool Visible { get; set; }

    /// <summary>Text or reasoning was removed from the current document.</summary>
    public bool Removed { get; set; }

    /// <summary>Characters of thinking removed or moved in this response so far (for the metrics).</summary>
    public long ThinkingChars { get; private set; }

    public void CountThinking(long chars) => ThinkingChars += chars;

    /// <summary>Characters (code points) in UTF-8 text: every byte but the continuation bytes 10xxxxxx.</summary>
    public static long CharCount(ReadOnlySpan<byte> utf8)
    {
        if (System.Text.Ascii.IsValid(utf8))
        {
            return utf8.Length;
        }

        long count = 0;
        foreach (byte b in utf8)
        {
            count += (b & 0xC0) != 0x80 ? 1 : 0;
        }

        return count;
    }

    /// <summary>Filters a whole text with no state carried over (non-streaming bodies, cumulative message.content).</summary>
    public ThinkTagStripper WholeStripper => _wholeStripper!;

    /// <summary>Forgets what the previous document held.</summary>
    public void BeginDocument()
    {
        Changed = false;
        Payload = false;
        Visible = false;
        Removed = false;
    }

    /// <summary>True while any unfinished choice is inside thinking the client does not see.</summary>
    public bool InHiddenThought()
    {
        foreach (ChoiceFilterState choice in _choices)
        {
            if (choice.InHiddenThought(Options.Mode))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Choice lookups so far: one step each, whatever the number of choices (a test holds this to linear work).</summary>
    public long ChoiceLookups { get; private set; }

    /// <summary>The state of choice <paramref name="index"/>, created the first time it is seen.</summary>
    public ChoiceFilterState GetChoice(int index)
    {
        if (TryGetChoice(index, out ChoiceFilterState? choice))
        {
            return choice;
        }

        var created = new ChoiceFilterState(index, Options);
        _choices.Add(created);
        _choicesByIndex.Add(index, created);
        return created;
    }

    /// <summary>The state of choice <paramref name="index"/> if it was seen before; O(1).</summary>
    public bool TryGetChoice(int index, [NotNullWhen(true)] out ChoiceFilterState? choice)
    {
        ChoiceLookups++;
        return _choicesByIndex.TryGetValue(index, out choice);
    }

    /// <summary>Where separated thinking goes: <paramref name="buffer"/> in split mode, the <paramref name="answer"/> itself in merge mode, nowhere in strip mode.</summary>
    public PooledByteBuffer? ThinkingSink(PooledByteBuffer buffer, PooledByteBuffer answer) => Options.Mode switch
    {
        ThinkMode.Split => buffer,
        ThinkMode.Merge => answer,
        _ => null,
    };

    /// <summary>Writes text as a JSON string with minimal escaping, so non-ASCII text stays UTF-8.</summary>
    public void WriteText(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8) => JsonStringEscaper.WriteValue(writer, utf8, _escaped);

    /// <summary>The unescaped value of the current string or property name token.</summary>
    public ReadOnlySpan<byte> Decode(ref Utf8JsonReader reader) => JsonTokenCopier.Unescape(ref reader, Scratch);

    public void CopyProperty(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        CopyPropertyName(ref reader, writer);
        reader.Read();
        JsonTokenCopier.CopyValue(ref reader, writer);
    }

    public void CopyPropertyName(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WritePropertyName(Decode(ref reader));
    }

    public void Dispose()
    {
        foreach (ChoiceFilterState choice in _choices)
        {
            choice.Dispose();
        }

        _choices.Clear();
        _choicesByIndex.Clear();
        _wholeStripper?.Dispose();
        FieldOut.Dispose();
        Scratch.Dispose();
        Scanner.Dispose();
        _escaped.Dispose();
        ThinkRoot.Dispose();
        ThinkChoice.Dispose();
        ThinkContainer.Dispose();
        MergePrefix.Dispose();
        ContentTrack.Dispose();
        TextTrack.Dispose();
        KeptTokens.Dispose();
        MergeRootPrefix.Dispose();
        MergeReasoning.Dispose();
    }
}
