using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Rewrites the documents of OpenAI's Responses API (<c>/v1/responses</c>): streamed <c>response.*</c> events and whole
/// response bodies. Strip mode removes reasoning items and every event of theirs, and think tags (any family the
/// profile allows) from output_text; split mode keeps the server's reasoning items and moves tagged thought into a
/// reasoning item before its message (a stream's streamed as that item's events: <see cref="ResponsesSplitStream"/>); merge mode puts reasoning inline at the start of the answer as tags (a stream's streamed live as a message's text: <see cref="ResponsesMergeStream"/>). The client sees
/// output_index and sequence_number without gaps. An event that needs no change goes out as its own bytes, or with only
/// its two numbers spliced.
/// </summary>
internal sealed class ResponsesDocumentRewriter : IDocumentRewriter
{
    private readonly ResponsesState _state;
    private readonly SearchValues<byte> _tagBytes;
    private readonly ResponsesSplitStream? _split;
    private readonly ResponsesMergeStream? _merge;
    private Utf8JsonWriter? _writer;

    /// <summary>Merge mode, live: a new reasoning part or item began; its first text goes after a blank line.</summary>
    private bool _breakPending;

    public ResponsesDocumentRewriter(ResponseRewriteOptions options, ResponseFraming framing)
    {
        _state = new ResponsesState(options, framing != ResponseFraming.JsonBody);
        _tagBytes = options.Tags.FirstByteValues;
        if (options.FiltersThinking && options.Mode == ThinkMode.Split && framing != ResponseFraming.JsonBody)
        {
            _split = new ResponsesSplitStream(framing);
        }

        if (options.FiltersThinking && options.Mode == ThinkMode.Merge && framing != ResponseFraming.JsonBody)
        {
            _merge = new ResponsesMergeStream(framing);
            _state.MergeStream = _merge;
        }
    }

    public long ProbePasses { get; private set; }

    /// <summary>Split mode: a held message's events and a reasoning item's went out in place of one upstream event; merge mode: the made-up message's.</summary>
    public bool WritesEvents { get; private set; }

    /// <summary>Also while split mode holds a message's first events, not yet knowing whether a thought opens it.</summary>
    public bool InHiddenThought => _state.InHiddenThought() || _split is { Holding: true, ReasoningIndex: < 0 };

    public long ThinkingChars => _state.ThinkingChars;

    public JsonRewriteResult Rewrite(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        WritesEvents = false;
        if (_split is { Holding: true })
        {
            return RewriteHeld(json, output);
        }

        return _merge is { Live: true, Closed: false } && !_state.MergeSent ? RewriteMerging(json, output) : RewriteOne(json, output);
    }

    /// <summary>One upstream event, written as one document (or dropped).</summary>
    private JsonRewriteResult RewriteOne(ReadOnlySpan<byte> json, PooledByteBuffer output, bool scanned = false)
    {
        ResponsesState state = _state;
        ResponsesEventScanner scan = state.Scanner;
        bool filters = state.Options.FiltersThinking;
        if (!scanned && !scan.Scan(json))
        {
            if (!filters)
            {
                return JsonRewriteResult.Unchanged;
            }

            // Failing closed (issue 13): an event the filter cannot read may be thought; the client's numbering skips it.
            if (json.IndexOf("\"sequence_number\""u8) >= 0)
            {
                state.SequenceShift--;
            }

            return JsonRewriteResult.Unreadable;
        }

        state.Changed = false;
        if (!filters)
        {
            return scan.Kind is ResponsesEventKind.Body or ResponsesEventKind.ResponseObject ? WriteFull(json, null, null, false, output) : JsonRewriteResult.Unchanged;
        }

        ResponsesItem? item = scan.Kind == ResponsesEventKind.Body ? null : state.Find(scan);
        switch (scan.Kind)
        {
            case ResponsesEventKind.Body:
            case ResponsesEventKind.ResponseObject:
                return WriteFull(json, null, null, false, output);
            case ResponsesEventKind.ItemAdded:
                if (item is null && _split is not null && scan.NestedMessage)
                {
                    // Split mode: held until its text shows whether a thought opens it (ResponsesSplitStream).
                    _split.Hold(Added(scan), json, scan.SequenceAt >= 0 ? scan.Sequence : -1);
                    return Drop(scan);
                }

                item ??= Added(scan);
                if (state.Renames(item))
                {
                    // Merge mode: the made-up message's output_item.added stands for the upstream message's.
                    return Drop(scan);
                }

                return item.ClientIndex < 0 ? Drop(scan) : WriteFull(json, item, null, item == state.MergeTarget, output);
            case ResponsesEventKind.ItemDone:
                item ??= state.Add(scan, scan.NestedReasoning, scan.NestedMessage);
                item.Finished = true;
                return item.ClientIndex < 0 ? Drop(scan) : WriteFull(json, item, null, item == state.MergeTarget, output);
            case ResponsesEventKind.ContentPart:
                item ??= state.Add(scan, scan.NestedReasoning, message: false);
                if (!scan.Done && state.Renames(item) && IsMergeTarget(item, scan))
                {
                    return Drop(scan);
                }

                return item.ClientIndex < 0 || (scan.NestedReasoning && state.HidesReasoningItems)
                    ? Drop(scan)
                    : WriteFull(json, item, null, IsMergeTarget(item, scan), output);
            case ResponsesEventKind.TextDelta:
                item ??= state.Add(scan, reasoning: false, message: true);
                return item.ClientIndex < 0 ? Drop(scan) : Delta(json, item, output);
            case ResponsesEventKind.TextDone:
                item ??= state.Add(scan, reasoning: false, message: true);
                if (item.ClientIndex < 0)
                {
                    return Drop(scan);
                }

                // The whole text is in this event: what the delta filter still holds is in it, filtered as a whole.
                item.FindText(scan.ContentIndex)?.Reset();
                return WriteFull(json, item, null, IsMergeTarget(item, scan), output);
            case ResponsesEventKind.Reasoning:
                return state.HidesReasoningItems ? Reasoning(json, scan, item, output) : Pass(json, item, output);
            default:
                return item is { ClientIndex: < 0 } ? Drop(scan) : Pass(json, item, output);
        }
    }

    /// <summary>A stream cut before its texts' done events: what the filters hold is not sent (it is in no event the client saw end).</summary>
    public bool TryWriteLeftovers(PooledByteBuffer output) => false;

    public void Dispose()
    {
        _split?.Dispose();
        _merge?.Dispose();
        _writer?.Dispose();
        _state.Dispose();
    }

    /// <summary>
    /// Merge mode, the made-up message open and its end tag not sent: a tool call or the response's end closes it on its
    /// own before itself; the upstream message's text ending before any delta gets the end tag before it.
    /// </summary>
    private JsonRewriteResult RewriteMerging(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        ResponsesState state = _state;
        ResponsesEventScanner scan = state.Scanner;
        ResponsesMergeStream merge = _merge!;
        if (!scan.Scan(json))
        {
            return RewriteOne(json, output);
        }

        ResponsesItem? item = scan.Kind == ResponsesEventKind.Body ? null : state.Find(scan);
        bool close = state.MergeTarget is null
            && (scan.Kind == ResponsesEventKind.ResponseObject || (scan.Kind == ResponsesEventKind.ItemAdded && item is null && !scan.NestedReasoning && !scan.NestedMessage));
        bool end = !close && state.MergeTarget is not null
            && (scan.Kind == ResponsesEventKind.ResponseObject
                || (state.Renames(item) && (scan.Kind is ResponsesEventKind.TextDone or ResponsesEventKind.ItemDone || (scan.Kind == ResponsesEventKind.ContentPart && scan.Done))));
        if (!close && !end)
        {
            return RewriteOne(json, output, scanned: true);
        }

        long sequence = scan.SequenceAt >= 0 ? scan.Sequence : -1;
        output.Clear();
        merge.Next = sequence >= 0 ? sequence + state.SequenceShift : -1;
        if (close)
        {
            merge.Close(state, output);
        }
        else
        {
            merge.Delta(state, ResponseRewriteOptions.MergeEndUtf8, output);
        }

        state.MergeSent = true;
        if (sequence >= 0)
        {
            state.SequenceShift = merge.Next - sequence;
        }

        JsonRewriteResult result = RewriteOne(json, merge.One, scanned: true);
        if (result is JsonRewriteResult.Unchanged or JsonRewriteResult.Rewritten)
        {
            merge.Append(output, result == JsonRewriteResult.Unchanged ? json : merge.One.WrittenSpan);
        }

        return MergeEvents(output);
    }

    /// <summary>Merge mode, live: a piece of reasoning sent as the made-up message's delta (the message opened first if need be).</summary>
    private JsonRewriteResult LiveDelta(ResponsesEventScanner scan, ReadOnlySpan<byte> text, ResponsesItem? item, PooledByteBuffer output)
    {
        ResponsesState state = _state;
        ResponsesMergeStream merge = _merge!;
        int before = state.Merged.Length;
        if (_breakPending && before > 0)
        {
            state.CollectMerged("\n\n"u8);
        }

        _breakPending = false;
        state.CollectMerged(text);
        if (state.Merged.Length == before)
        {
            // Beyond ResponsesState.MaxMergedReasoningBytes: dropped.
            return Drop(scan);
        }

        long sequence = scan.SequenceAt >= 0 ? scan.Sequence : -1;
        output.Clear();
        merge.Next = sequence >= 0 ? sequence + state.SequenceShift : -1;
        merge.Written = 0;
        PooledByteBuffer piece = state.FieldOut;
        piece.Clear();
        if (!merge.Live)
        {
            merge.Open(state, item is null ? scan.ItemId : item.Id, output);
            piece.Append(ResponseRewriteOptions.MergeStartUtf8);
        }

        piece.Append(state.Merged.WrittenSpan[before..]);
        merge.Delta(state, piece.WrittenSpan, output);
        if (sequence >= 0)
        {
            state.SequenceShift += merge.Written - 1;
        }

        return MergeEvents(output);
    }

    private JsonRewriteResult MergeEvents(PooledByteBuffer output)
    {
        if (output.Length == 0)
        {
            return JsonRewriteResult.Dropped;
        }

        WritesEvents = _merge!.EventStream;
        return JsonRewriteResult.Rewritten;
    }

    /// <summary>Split mode, a message's first events held: the events of its text decide, any other event releases them.</summary>
    private JsonRewriteResult RewriteHeld(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        ResponsesState state = _state;
        ResponsesEventScanner scan = state.Scanner;
        ResponsesSplitStream split = _split!;
        if (!scan.Scan(json))
        {
            // Unreadable: dropped as ever, the held events stay held.
            return RewriteOne(json, output);
        }

        ResponsesItem? item = scan.Kind == ResponsesEventKind.Body ? null : state.Find(scan);
        if (item == split.Target && split.ReasoningIndex < 0 && split.ContentIndex < 0 && scan.Kind == ResponsesEventKind.ContentPart && !scan.Done)
        {
            split.Hold(item!, json, scan.SequenceAt >= 0 ? scan.Sequence : -1);
            return Drop(scan);
        }

        if (item is null && scan.Kind == ResponsesEventKind.Other && scan.OutputIndexAt < 0 && scan.ItemId.IsEmpty)
        {
            // An event of no item goes out in its place: the held events are numbered when they go.
            return RewriteOne(json, output);
        }

        long sequence = scan.SequenceAt >= 0 ? scan.Sequence : -1;
        split.Next = sequence >= 0 ? sequence + state.SequenceShift : -1;
        output.Clear();
        if (item == split.Target && scan.Kind == ResponsesEventKind.TextDelta && scan.DeltaAt >= 0 && (split.ContentIndex < 0 || split.ContentIndex == scan.ContentIndex))
        {
            return HeldDelta(json, item!, sequence, output);
        }

        Release(output);
        Continue(sequence);
        JsonRewriteResult result = RewriteOne(json, split.One);
        if (result is JsonRewriteResult.Unchanged or JsonRewriteResult.Rewritten)
        {
            split.Append(output, result == JsonRewriteResult.Unchanged ? json : split.One.WrittenSpan);
        }

        return Events(output);
    }

    /// <summary>A delta of the held message's text: its thought goes out as reasoning events, its first answer text releases the message.</summary>
    private JsonRewriteResult HeldDelta(ReadOnlySpan<byte> json, ResponsesItem item, long sequence, PooledByteBuffer output)
    {
        ResponsesState state = _state;
        ResponsesEventScanner scan = state.Scanner;
        ResponsesSplitStream split = _split!;
        split.ContentIndex = scan.ContentIndex;
        ThinkTagStripper stripper = item.Text(scan.ContentIndex, state.Options);
        var reader = new Utf8JsonReader(json[(scan.DeltaAt - 1)..]);
        reader.Read();
        ReadOnlySpan<byte> text = state.Decode(ref reader);
        state.Thought.Clear();
        ReadOnlySpan<byte> answer = state.FilterDelta(stripper, text, mergeTarget: false);
        if (state.Thought.Length > 0)
        {
            if (split.ReasoningIndex < 0)
            {
                split.Open(state, output);
            }

            split.Delta(state, state.Thought.WrittenSpan, output);
        }

        if (answer.IsEmpty)
        {
            // All of it thought (or held by the tag filter): the events written stand in its place.
            Continue(sequence);
            if (sequence >= 0)
            {
                state.SequenceShift--;
            }

            return Events(output);
        }

        bool unchanged = answer.SequenceEqual(text);
        split.Answer.Clear();
        split.Answer.Append(answer);
        Release(output);
        Continue(sequence);
        scan.Scan(json);
        JsonRewriteResult result = unchanged ? Pass(json, item, split.One) : WriteFull(json, item, split.Answer, false, split.One);
        split.Append(output, result == JsonRewriteResult.Unchanged ? json : split.One.WrittenSpan);
        return Events(output);
    }

    /// <summary>Ends the reasoning item under way, then writes the held events (numbered after it) and forgets them.</summary>
    private void Release(PooledByteBuffer output)
    {
        ResponsesState state = _state;
        ResponsesSplitStream split = _split!;
        if (split.ReasoningIndex >= 0)
        {
            split.Close(state, output);
        }

        for (int i = 0; i < split.HeldCount; i++)
        {
            ReadOnlySpan<byte> held = split.Held(i, out long sequence);
            if (split.Next >= 0 && sequence >= 0)
            {
                state.SequenceShift = split.Next - sequence;
                split.Next++;
            }

            JsonRewriteResult result = RewriteOne(held, split.One);
            if (result is JsonRewriteResult.Unchanged or JsonRewriteResult.Rewritten)
            {
                split.Append(output, result == JsonRewriteResult.Unchanged ? held : split.One.WrittenSpan);
            }
        }

        split.Clear();
    }

    /// <summary>The upstream event being written takes the next sequence_number after the events written before it.</summary>
    private void Continue(long sequence)
    {
        if (sequence >= 0 && _split!.Next >= 0)
        {
            _state.SequenceShift = _split.Next - sequence;
        }
    }

    private JsonRewriteResult Events(PooledByteBuffer output)
    {
        if (output.Length == 0)
        {
            return JsonRewriteResult.Dropped;
        }

        WritesEvents = _split!.EventStream;
        return JsonRewriteResult.Rewritten;
    }

    private ResponsesItem Added(ResponsesEventScanner scan)
    {
        ResponsesState state = _state;
        ResponsesItem item = state.Add(scan, scan.NestedReasoning, scan.NestedMessage);
        if (state.Mode == ThinkMode.Merge && item.Reasoning && state.Merged.Length > 0 && state.MergeTarget is null)
        {
            if (_merge is { Live: true })
            {
                _breakPending = true;
            }
            else
            {
                state.CollectMerged("\n\n"u8);
            }
        }

        if (state.Mode == ThinkMode.Merge && item.Message && state.MergeTarget is null && _merge is not { Closed: true })
        {
            state.MergeTarget = item;
            if (_merge is { Live: true })
            {
                // It becomes the made-up message: its output_index, and (ResponsesEventWriter) its id.
                state.Adopt(item, _merge.Index);
            }
        }

        return item;
    }

    private bool IsMergeTarget(ResponsesItem item, ResponsesEventScanner scan)
    {
        ResponsesState state = _state;
        if (item != state.MergeTarget)
        {
            return false;
        }

        if (!state.MergeSent)
        {
            state.MergeTargetContent = scan.ContentIndex;
        }

        return scan.ContentIndex == state.MergeTargetContent;
    }

    /// <summary>An output_text delta: its own bytes while its text is a steady answer with no tag's first byte; else filtered.</summary>
    private JsonRewriteResult Delta(ReadOnlySpan<byte> json, ResponsesItem item, PooledByteBuffer output)
    {
        ResponsesState state = _state;
        ResponsesEventScanner scan = state.Scanner;
        ThinkTagStripper stripper = item.Text(scan.ContentIndex, state.Options);
        bool mergeTarget = IsMergeTarget(item, scan) && !state.MergeSent && state.Merged.Length > 0;
        ReadOnlySpan<byte> raw = scan.DeltaAt < 0 ? default : json.Slice(scan.DeltaAt, scan.DeltaLength);
        if (!mergeTarget && (scan.DeltaAt < 0 || (!scan.DeltaEscaped && (stripper.AcceptsNoTag || (stripper.IsSteadyAnswer && raw.IndexOfAny(_tagBytes) < 0)))))
        {
            return Pass(json, item, output);
        }

        var reader = new Utf8JsonReader(json[(scan.DeltaAt - 1)..]);
        reader.Read();
        ReadOnlySpan<byte> text = state.Decode(ref reader);
        state.Thought.Clear();
        ReadOnlySpan<byte> result = state.FilterDelta(stripper, text, mergeTarget);
        if (result.IsEmpty)
        {
            return Drop(scan);
        }

        return result.SequenceEqual(text) ? Pass(json, item, output) : WriteFull(json, item, state.FieldOut, false, output);
    }

    /// <summary>An event of a hidden reasoning item: dropped; in merge mode its text is kept for the start of the answer.</summary>
    private JsonRewriteResult Reasoning(ReadOnlySpan<byte> json, ResponsesEventScanner scan, ResponsesItem? item, PooledByteBuffer output)
    {
        ResponsesState state = _state;
        if (scan.ReasoningDelta && scan.DeltaAt >= 0)
        {
            var reader = new Utf8JsonReader(json[(scan.DeltaAt - 1)..]);
            reader.Read();
            ReadOnlySpan<byte> text = state.Decode(ref reader);
            if (state.Mode == ThinkMode.Merge && !state.MergeSent && _merge is not null && (state.MergeTarget is null || _merge.Live))
            {
                return LiveDelta(scan, text, item, output);
            }

            if (state.Mode == ThinkMode.Merge && !state.MergeSent)
            {
                state.CollectMerged(text);
            }
            else
            {
                state.CountThinking(JsonRewriteContext.CharCount(text));
            }
        }
        else if (scan.SummaryPartAdded && state.Mode == ThinkMode.Merge && !state.MergeSent && state.Merged.Length > 0)
        {
            if (_merge is { Live: true })
            {
                _breakPending = true;
            }
            else
            {
                state.CollectMerged("\n\n"u8);
            }
        }

        return Drop(scan);
    }

    private JsonRewriteResult Drop(ResponsesEventScanner scan)
    {
        if (scan.SequenceAt >= 0)
        {
            _state.SequenceShift--;
        }

        return JsonRewriteResult.Dropped;
    }

    /// <summary>
    /// The event's own bytes, with its sequence_number and output_index spliced when the client's differ, and in a
    /// merge-mode stream the made-up message's id for the item_id of the message that took it over.
    /// </summary>
    private JsonRewriteResult Pass(ReadOnlySpan<byte> json, ResponsesItem? item, PooledByteBuffer output)
    {
        ResponsesEventScanner scan = _state.Scanner;
        long shift = _state.SequenceShift;
        bool index = scan.OutputIndexAt >= 0 && item is { ClientIndex: >= 0 } && item.ClientIndex != scan.OutputIndex;
        bool sequence = scan.SequenceAt >= 0 && shift != 0;
        bool rename = scan.ItemIdAt >= 0 && _state.Renames(item);
        ProbePasses++;
        if (!index && !sequence && !rename)
        {
            return JsonRewriteResult.Unchanged;
        }

        output.Clear();
        // The values in the order they stand in the event (any may be absent: At -1); Value -1 is the id.
        Span<(int At, int Length, long Value)> cuts = stackalloc (int, int, long)[3];
        cuts[0] = sequence ? (scan.SequenceAt, scan.SequenceLength, scan.Sequence + shift) : (-1, 0, 0);
        cuts[1] = index ? (scan.OutputIndexAt, scan.OutputIndexLength, item!.ClientIndex) : (-1, 0, 0);
        cuts[2] = rename ? (scan.ItemIdAt, scan.ItemIdLength, -1) : (-1, 0, 0);
        for (int i = 1; i < cuts.Length; i++)
        {
            for (int j = i; j > 0 && cuts[j - 1].At > cuts[j].At; j--)
            {
                (cuts[j - 1], cuts[j]) = (cuts[j], cuts[j - 1]);
            }
        }

        int at = 0;
        foreach ((int cutAt, int length, long value) in cuts)
        {
            if (cutAt < 0)
            {
                continue;
            }

            output.Append(json[at..cutAt]);
            if (value < 0)
            {
                JsonStringEscaper.WriteQuoted(_merge!.Id, output);
            }
            else
            {
                Span<byte> digits = output.GetSpan(20);
                Utf8Formatter.TryFormat(value, digits, out int written);
                output.Advance(written);
            }

            at = cutAt + length;
        }

        output.Append(json[at..]);
        return JsonRewriteResult.Rewritten;
    }

    private JsonRewriteResult WriteFull(ReadOnlySpan<byte> json, ResponsesItem? item, PooledByteBuffer? delta, bool mergeTarget, PooledByteBuffer output)
    {
        output.Clear();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(output, JsonOutput.UncheckedOptions);
        writer.Reset(output);
        ResponsesEventWriter.Write(json, writer, _state, item, delta, mergeTarget);
        writer.Flush();
        return _state.Changed ? JsonRewriteResult.Rewritten : JsonRewriteResult.Unchanged;
    }
}
