using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// What one Responses API response's filter carries from document to document: its output items (where the client sees
/// each, which are hidden), the shift of sequence_number from the events dropped, merge mode's collected reasoning, and
/// the buffers the writers reuse. Created once per response; nothing here allocates per document.
/// </summary>
internal sealed class ResponsesState : IDisposable
{
    /// <summary>Merge mode: reasoning held for the start of the answer, at most this much; the rest is dropped.</summary>
    internal const int MaxMergedReasoningBytes = 1024 * 1024;

    private readonly List<ResponsesItem> _items = [];
    private readonly Dictionary<int, ResponsesItem> _byIndex = [];
    private readonly PooledByteBuffer _escaped = new();
    private readonly ThinkTagStripper? _whole;

    public ResponsesState(ResponseRewriteOptions options, bool streaming)
    {
        Options = options;
        Streaming = streaming;
        if (options.FiltersThinking)
        {
            _whole = new ThinkTagStripper(options.Tags, options.StartsOpen, options.Mode == ThinkMode.Merge);
        }
    }

    public ResponseRewriteOptions Options { get; }

    public bool Streaming { get; }

    public ThinkMode Mode => Options.Mode;

    /// <summary>Strip and merge: the server's reasoning items are not shown as items.</summary>
    public bool HidesReasoningItems => Options.Mode is ThinkMode.Strip or ThinkMode.Merge;

    public ResponsesEventScanner Scanner { get; } = new();

    /// <summary>Added to each sequence_number: minus the numbered events dropped so far.</summary>
    public long SequenceShift { get; set; }

    /// <summary>The output_index the next item shown gets.</summary>
    public int NextClientIndex { get; private set; }

    /// <summary>An output_index for an item written by the filter itself.</summary>
    public int TakeClientIndex() => NextClientIndex++;

    /// <summary>Merge mode, streams: <paramref name="item"/> (the last one added) takes the made-up message's output_index.</summary>
    public void Adopt(ResponsesItem item, int index)
    {
        item.ClientIndex = index;
        NextClientIndex--;
    }

    /// <summary>Merge mode, streams: the message the reasoning streams into (<see cref="ResponsesMergeStream"/>).</summary>
    public ResponsesMergeStream? MergeStream { get; set; }

    /// <summary>Merge mode, streams: the made-up message is open and its text is the merge target's (the upstream message takes its id).</summary>
    public bool Renames(ResponsesItem? item) => item is not null && item == MergeTarget && MergeStream is { Live: true, Closed: false };

    /// <summary>Split mode, streams: a reasoning item goes before <paramref name="message"/> (the last item shown); returns its output_index.</summary>
    public int InsertBefore(ResponsesItem message)
    {
        int index = message.ClientIndex;
        message.ClientIndex++;
        NextClientIndex++;
        return index;
    }

    /// <summary>Merge mode: the reasoning collected for the start of the answer (without tags).</summary>
    public PooledByteBuffer Merged { get; } = new();

    /// <summary>Merge mode, streams: the answer text that carries the collected reasoning (its item's id and content index), once known.</summary>
    public ResponsesItem? MergeTarget { get; set; }

    public int MergeTargetContent { get; set; }

    /// <summary>Merge mode, streams: the collected reasoning went out in the target's first delta.</summary>
    public bool MergeSent { get; set; }

    /// <summary>The filtered value of the text being written.</summary>
    public PooledByteBuffer FieldOut { get; } = new();

    /// <summary>Split mode: the thought found in the text being written.</summary>
    public PooledByteBuffer Thought { get; } = new();

    /// <summary>Decoded strings.</summary>
    public PooledByteBuffer Scratch { get; } = new();

    /// <summary>An item written aside (split mode writes a message before knowing whether a reasoning item goes first).</summary>
    public PooledByteBuffer Aside { get; } = new();

    /// <summary>Characters of thinking removed or moved so far.</summary>
    public long ThinkingChars { get; private set; }

    /// <summary>Something in the current document was rewritten.</summary>
    public bool Changed { get; set; }

    public void CountThinking(long chars) => ThinkingChars += chars;

    /// <summary>True while the client sees nothing of thinking that is under way (what keep-alive comments are for).</summary>
    public bool InHiddenThought()
    {
        foreach (ResponsesItem item in _items)
        {
            if (item.Finished)
            {
                continue;
            }

            if ((item.Reasoning && HidesReasoningItems) || (Mode == ThinkMode.Strip && item.MayBeInThought))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Some unfinished hidden reasoning item, or some text inside a thought: an unreadable event may be thought.</summary>
    public bool MayBeInThought()
    {
        foreach (ResponsesItem item in _items)
        {
            if (!item.Finished && ((item.Reasoning && HidesReasoningItems) || item.MayBeInThought))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The item an event names by output_index, else by item_id; null when none was seen.</summary>
    public ResponsesItem? Find(ResponsesEventScanner scan)
    {
        if (scan.OutputIndexAt >= 0)
        {
            return _byIndex.GetValueOrDefault(scan.OutputIndex);
        }

        ReadOnlySpan<byte> id = scan.ItemId;
        if (id.IsEmpty)
        {
            return null;
        }

        foreach (ResponsesItem item in _items)
        {
            if (id.SequenceEqual(item.Id))
            {
                return item;
            }
        }

        return null;
    }

    /// <summary>A new item (output_item.added, or the first event of an item never announced).</summary>
    public ResponsesItem Add(ResponsesEventScanner scan, bool reasoning, bool message)
    {
        bool hidden = reasoning && HidesReasoningItems;
        int upstream = scan.OutputIndexAt >= 0 ? scan.OutputIndex : -1 - _items.Count;
        var item = new ResponsesItem(upstream, hidden ? -1 : NextClientIndex++, scan.ItemId.ToArray(), reasoning, message);
        _items.Add(item);
        _byIndex[upstream] = item;
        return item;
    }

    /// <summary>Filters a whole text (a done event's, a part's, a body's): into <see cref="FieldOut"/>, thought into <see cref="Thought"/> in split mode.</summary>
    public ReadOnlySpan<byte> FilterWhole(ReadOnlySpan<byte> text, bool mergeTarget, bool count = true)
    {
        FieldOut.Clear();
        if (mergeTarget)
        {
            WriteMerged(FieldOut);
        }

        ThinkTagStripper whole = _whole!;
        whole.Reset();
        PooledByteBuffer? sink = Sink();
        whole.Process(text, FieldOut, sink);
        whole.Complete(FieldOut, sink);
        if (count)
        {
            Count(text);
        }

        return FieldOut.WrittenSpan;
    }

    /// <summary>Filters one delta of a streamed text into <see cref="FieldOut"/>.</summary>
    public ReadOnlySpan<byte> FilterDelta(ThinkTagStripper stripper, ReadOnlySpan<byte> delta, bool mergeTarget)
    {
        FieldOut.Clear();
        if (mergeTarget && !MergeSent)
        {
            MergeSent = true;
            if (MergeStream is { Live: true })
            {
                // The reasoning went out as it came, in the made-up message's deltas: only its end tag is left to send.
                FieldOut.Append(ResponseRewriteOptions.MergeEndUtf8);
            }
            else
            {
                WriteMerged(FieldOut);
            }
        }

        int before = FieldOut.Length;
        stripper.Process(delta, FieldOut, Sink());
        if (Mode != ThinkMode.Merge)
        {
            CountDelta(delta, FieldOut.WrittenSpan[before..]);
        }

        return FieldOut.WrittenSpan;
    }

    /// <summary>Merge mode: reasoning for the start of the answer; beyond the limit it is dropped. Returns the part kept.</summary>
    public ReadOnlySpan<byte> CollectMerged(ReadOnlySpan<byte> reasoning)
    {
        CountThinking(JsonRewriteContext.CharCount(reasoning));
        int room = MaxMergedReasoningBytes - Merged.Length;
        int before = Merged.Length;
        Merged.Append(reasoning.Length <= room ? reasoning : reasoning[..Math.Max(room, 0)]);
        return Merged.WrittenSpan[before..];
    }

    /// <summary>Writes text as a JSON string with minimal escaping, so non-ASCII text stays UTF-8.</summary>
    public void WriteText(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8) => JsonStringEscaper.WriteValue(writer, utf8, _escaped);

    /// <summary>The unescaped value of the current string or property name token.</summary>
    public ReadOnlySpan<byte> Decode(ref Utf8JsonReader reader) => JsonTokenCopier.Unescape(ref reader, Scratch);

    public void Dispose()
    {
        foreach (ResponsesItem item in _items)
        {
            item.Dispose();
        }

        _items.Clear();
        _byIndex.Clear();
        _whole?.Dispose();
        _escaped.Dispose();
        Scanner.Dispose();
        Merged.Dispose();
        FieldOut.Dispose();
        Thought.Dispose();
        Scratch.Dispose();
        Aside.Dispose();
    }

    private PooledByteBuffer? Sink() => Mode switch
    {
        ThinkMode.Split => Thought,
        ThinkMode.Merge => FieldOut,
        _ => null,
    };

    private void WriteMerged(PooledByteBuffer into)
    {
        if (Merged.Length == 0)
        {
            return;
        }

        into.Append(ResponseRewriteOptions.MergeStartUtf8);
        into.Append(Merged.WrittenSpan);
        into.Append(ResponseRewriteOptions.MergeEndUtf8);
    }

    private void Count(ReadOnlySpan<byte> text)
    {
        if (Mode != ThinkMode.Merge && !Streaming)
        {
            CountDelta(text, FieldOut.WrittenSpan);
        }
    }

    private void CountDelta(ReadOnlySpan<byte> input, ReadOnlySpan<byte> output)
    {
        if (input.Length != output.Length)
        {
            CountThinking(JsonRewriteContext.CharCount(input) - JsonRewriteContext.CharCount(output));
        }
    }
}
