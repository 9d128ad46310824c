namespace CotProxy.Filtering;

/// <summary>
/// Filters Anthropic's Messages API (<c>/v1/messages</c>): a stream's events one at a time (shapes from Anthropic's
/// "Streaming messages" docs), a whole body by <see cref="MessagesBodyWriter"/>. Strip removes thinking and
/// redacted_thinking blocks with all their events and shifts later blocks' indices down, so the client sees 0, 1, 2…;
/// think tags left inside text blocks go too. Split keeps thinking blocks and makes thought found in tags a thinking
/// block of its own. Merge turns a thinking block into the start of the next text block, "&lt;think&gt;…&lt;/think&gt;".
/// In a stream every event the filter changes is written whole, under its own event name (one upstream event may become
/// several); an event about no thinking, with no byte a tag begins with, goes out as its own bytes when no index shift
/// is pending.
/// </summary>
internal sealed class MessagesDocumentRewriter : IDocumentRewriter
{
    private readonly ResponseRewriteOptions _options;
    private readonly bool _streaming;
    private readonly Dictionary<int, MessagesBlock> _blocks = [];
    private readonly PooledByteBuffer _decoded = new();
    private readonly PooledByteBuffer _answer = new();
    private readonly PooledByteBuffer _thought = new();
    // Merge mode's tags as JSON string content, written straight into text deltas.
    private static readonly byte[] s_startTag = MessagesEventWriter.Escaped(ResponseRewriteOptions.MergeStartUtf8);
    private static readonly byte[] s_endTag = MessagesEventWriter.Escaped(ResponseRewriteOptions.MergeEndUtf8);
    private readonly byte[]? _quotedModel;
    private MessagesBodyWriter? _body;
    private long _thinkingChars;
    private int _next;
    private int _mergeOpen = -1;

    public MessagesDocumentRewriter(ResponseRewriteOptions options, bool streaming)
    {
        _options = options;
        _streaming = streaming;
        _quotedModel = options.ClientModelNameUtf8 is { } model ? MessagesEventWriter.Quoted(model) : null;
    }

    public long ProbePasses { get; private set; }

    /// <summary>The last rewritten stream document is whole SSE events, each named by its type (a whole message is not).</summary>
    public bool WritesEvents { get; private set; }

    public bool InHiddenThought
    {
        get
        {
            foreach (MessagesBlock block in _blocks.Values)
            {
                bool hidden = Mode == ThinkMode.Strip
                    ? block.Hidden || block.Stripper is { InThought: true }
                    : block.Stripper is { State: ThinkTagStripperState.OpenThought };
                if (hidden)
                {
                    return true;
                }
            }

            return false;
        }
    }

    public long ThinkingChars => _thinkingChars + (_body?.ThinkingChars ?? 0);

    private ThinkMode Mode => _options.Mode;

    private bool Filters => _options.FiltersThinking;

    /// <summary>Strip mode, and some block is thinking or may be: an event the filter does not know may be part of it.</summary>
    private bool MayBeInThought
    {
        get
        {
            if (Mode != ThinkMode.Strip)
            {
                return false;
            }

            foreach (MessagesBlock block in _blocks.Values)
            {
                if (block.Hidden || block.Stripper is { MayBeInThought: true })
                {
                    return true;
                }
            }

            return false;
        }
    }

    private PooledByteBuffer? Sink => Mode switch
    {
        ThinkMode.Split => _thought,
        ThinkMode.Merge => _answer,
        _ => null,
    };

    public JsonRewriteResult Rewrite(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        WritesEvents = false;
        if (!_streaming)
        {
            return (_body ??= new MessagesBodyWriter(_options)).Rewrite(json, output);
        }

        if (!MessagesEvent.TryRead(json, out MessagesEvent e))
        {
            // Failing closed (issue 13): an event that cannot be read may be thinking, or open it.
            return Filters ? JsonRewriteResult.Unreadable : JsonRewriteResult.Unchanged;
        }

        if (e.Type == MessagesEventType.Message)
        {
            // A whole body where events were expected (an unlabelled body taken for JSON lines): filtered as a body.
            return (_body ??= new MessagesBodyWriter(_options)).Rewrite(json, output);
        }

        WritesEvents = true;

        output.Clear();
        if (!Filters)
        {
            return e.Type == MessagesEventType.MessageStart ? MessageStart(json, e, output) : Pass(json, e, output, e.Index);
        }

        switch (e.Type)
        {
            case MessagesEventType.MessageStart:
                return MessageStart(json, e, output);
            case MessagesEventType.ContentBlockStart:
                return Start(json, e, output);
            case MessagesEventType.ContentBlockDelta:
                return Delta(json, e, output);
            case MessagesEventType.ContentBlockStop:
                return Stop(json, e, output);
            case MessagesEventType.MessageDelta or MessagesEventType.MessageStop or MessagesEventType.Error:
                CloseMerged(output);
                return Pass(json, e, output, e.Index);
            case MessagesEventType.Ping:
                return Pass(json, e, output, e.Index);
            default:
                // An event we do not know passes outside thinking; inside it, or while a tag may be opening, it is dropped.
                return MayBeInThought ? JsonRewriteResult.Unreadable : Pass(json, e, output, e.Index);
        }
    }

    /// <summary>A stream cut before its blocks stopped: what a block still holds (a tag's possible start) is not sent.</summary>
    public bool TryWriteLeftovers(PooledByteBuffer output) => false;

    public void Dispose()
    {
        foreach (MessagesBlock block in _blocks.Values)
        {
            block.Dispose();
        }

        _blocks.Clear();
        _body?.Dispose();
        _decoded.Dispose();
        _answer.Dispose();
        _thought.Dispose();
    }

    private JsonRewriteResult MessageStart(ReadOnlySpan<byte> json, in MessagesEvent e, PooledByteBuffer output)
    {
        if (e.ContentNotEmpty && Filters)
        {
            // Real servers start with an empty content; blocks already in it are filtered as a body's are.
            using var rewritten = new PooledByteBuffer(json.Length);
            switch ((_body ??= new MessagesBodyWriter(_options)).Rewrite(json, rewritten))
            {
                case JsonRewriteResult.Unreadable:
                    return JsonRewriteResult.Unreadable;
                case JsonRewriteResult.Rewritten:
                    MessagesEventWriter.WithString(output, rewritten.WrittenSpan, e.Type, 0, 0, default);
                    return JsonRewriteResult.Rewritten;
            }
        }

        if (_quotedModel is not null && e.ModelAt >= 0 && !json.Slice(e.ModelAt, e.ModelLength).SequenceEqual(_quotedModel))
        {
            MessagesEventWriter.WithString(output, json, e.Type, e.ModelAt, e.ModelLength, _quotedModel);
            return JsonRewriteResult.Rewritten;
        }

        return Pass(json, e, output, e.Index);
    }

    private JsonRewriteResult Start(ReadOnlySpan<byte> json, in MessagesEvent e, PooledByteBuffer output)
    {
        if (e.Index < 0 || e.Block == MessagesBlockKind.None)
        {
            // Which block, or what kind: the filter cannot tell, so neither can it tell that this is not thinking.
            return JsonRewriteResult.Unreadable;
        }

        if (_blocks.Remove(e.Index, out MessagesBlock? previous))
        {
            previous.Dispose();
        }

        MessagesBlockKind kind = e.Block;
        bool thinking = kind is MessagesBlockKind.Thinking or MessagesBlockKind.RedactedThinking;
        if (thinking && (Mode == ThinkMode.Strip || kind == MessagesBlockKind.RedactedThinking && Mode == ThinkMode.Merge))
        {
            _blocks[e.Index] = new MessagesBlock(kind) { Hidden = true };
            _thinkingChars += e.TextChars(json);
            return Finish(output);
        }

        if (kind == MessagesBlockKind.Text)
        {
            return TextStart(json, e, output);
        }

        CloseMerged(output);
        int client = _next++;
        if (thinking && Mode == ThinkMode.Merge)
        {
            // The thinking block becomes a text block opened with the start tag; its stop and the next text block's start become the end tag.
            _blocks[e.Index] = new MessagesBlock(kind) { Merged = true, Client = client };
            _thinkingChars += e.TextChars(json);
            MessagesEventWriter.TextStart(output, client, s_startTag, e.RawText(json));
            return JsonRewriteResult.Rewritten;
        }

        _blocks[e.Index] = new MessagesBlock(kind) { Client = client };
        return Pass(json, e, output, client);
    }

    private JsonRewriteResult TextStart(ReadOnlySpan<byte> json, in MessagesEvent e, PooledByteBuffer output)
    {
        if (!e.TryDecodeText(json, _decoded, out ReadOnlySpan<byte> text))
        {
            // The block is not known: its deltas are dropped too.
            return JsonRewriteResult.Unreadable;
        }

        var block = new MessagesBlock(MessagesBlockKind.Text) { Stripper = new ThinkTagStripper(_options.Tags, _options.StartsOpen, Mode == ThinkMode.Merge) };
        _blocks[e.Index] = block;

        _answer.Clear();
        _thought.Clear();
        if (Mode == ThinkMode.Merge && _mergeOpen >= 0)
        {
            // The thinking block before it was sent as the start of this text: its end tag continues it on the same index.
            block.Client = _mergeOpen;
            _mergeOpen = -1;
            _answer.Append(ResponseRewriteOptions.MergeEndUtf8);
            Filter(block.Stripper, text);
            MessagesEventWriter.Delta(output, block.Client, _answer.WrittenSpan, thinking: false);
            return JsonRewriteResult.Rewritten;
        }

        CloseMerged(output);
        if (Mode == ThinkMode.Split)
        {
            // Whether the text opens with thought is known only from its text: its start waits for it.
            if (text.IsEmpty && !e.StrayThinking)
            {
                block.HeldStart = json.ToArray();
                block.HeldEvent = e;
            }

            Filter(block.Stripper, text);
            MessagesTagSplitter.Write(block, _thought.WrittenSpan, _answer.WrittenSpan, ref _next, output);
            return Finish(output);
        }

        block.Client = _next++;
        if (text.IsEmpty && !e.StrayThinking)
        {
            return Pass(json, e, output, block.Client);
        }

        Filter(block.Stripper, text);
        MessagesEventWriter.TextStart(output, block.Client, default, default);
        if (_answer.Length > 0)
        {
            MessagesEventWriter.Delta(output, block.Client, _answer.WrittenSpan, thinking: false);
        }

        return JsonRewriteResult.Rewritten;
    }

    private JsonRewriteResult Delta(ReadOnlySpan<byte> json, in MessagesEvent e, PooledByteBuffer output)
    {
        if (e.Index < 0 || !_blocks.TryGetValue(e.Index, out MessagesBlock? block))
        {
            // A delta of a block never started: the filter cannot tell what it is.
            return JsonRewriteResult.Unreadable;
        }

        if (block.Hidden)
        {
            _thinkingChars += e.TextChars(json);
            return JsonRewriteResult.Dropped;
        }

        if (block.Merged)
        {
            if (e.Delta == MessagesDeltaKind.Signature)
            {
                return JsonRewriteResult.Dropped;
            }

            if (e.Delta == MessagesDeltaKind.Thinking && e.TextAt >= 0)
            {
                _thinkingChars += e.TextChars(json);
                MessagesEventWriter.RawTextDelta(output, block.Client, default, e.RawText(json));
                return JsonRewriteResult.Rewritten;
            }

            return Pass(json, e, output, block.Client);
        }

        if (block.Stripper is not { } stripper)
        {
            return Pass(json, e, output, block.Client);
        }

        if (e.Delta != MessagesDeltaKind.Text || e.TextAt < 0)
        {
            // Not text in a text block (a citation, or thinking where none belongs): it passes only where no thought can be.
            bool quiet = Mode != ThinkMode.Strip ? block.Client >= 0 : !stripper.MayBeInThought && e.Delta is not (MessagesDeltaKind.Thinking or MessagesDeltaKind.Signature) && !e.StrayThinking;
            return quiet && block.Client >= 0 ? Pass(json, e, output, block.Client) : JsonRewriteResult.Unreadable;
        }

        bool steady = block.Client >= 0 && (Mode != ThinkMode.Split || block.Open == MessagesBlockKind.Text) && !e.StrayThinking
            && (stripper.AcceptsNoTag || (stripper.IsSteadyAnswer && !e.TextEscaped && e.RawText(json).IndexOfAny(_options.Tags.FirstByteValues) < 0));
        if (steady)
        {
            // The fast path: answer text no tag can touch.
            return Pass(json, e, output, block.Client);
        }

        if (!e.TryDecodeText(json, _decoded, out ReadOnlySpan<byte> text))
        {
            return JsonRewriteResult.Unreadable;
        }

        _answer.Clear();
        _thought.Clear();
        Filter(stripper, text);
        if (Mode == ThinkMode.Split)
        {
            if (_thought.Length == 0 && !e.TextEscaped && !e.StrayThinking && _answer.Length > 0 && _answer.WrittenSpan.SequenceEqual(text))
            {
                // Answer only, as it came: the event goes out as it is, after the text block's start if it opens here.
                MessagesTagSplitter.OpenText(block, ref _next, output);
                return Pass(json, e, output, block.Client);
            }

            MessagesTagSplitter.Write(block, _thought.WrittenSpan, _answer.WrittenSpan, ref _next, output);
            return Finish(output);
        }

        if (_answer.Length == 0)
        {
            return Finish(output);
        }

        if (!e.TextEscaped && !e.StrayThinking && _answer.WrittenSpan.SequenceEqual(text))
        {
            return Pass(json, e, output, block.Client);
        }

        MessagesEventWriter.Delta(output, block.Client, _answer.WrittenSpan, thinking: false);
        return JsonRewriteResult.Rewritten;
    }

    private JsonRewriteResult Stop(ReadOnlySpan<byte> json, in MessagesEvent e, PooledByteBuffer output)
    {
        if (e.Index < 0 || !_blocks.Remove(e.Index, out MessagesBlock? block))
        {
            return JsonRewriteResult.Unreadable;
        }

        using (block)
        {
            if (block.Hidden)
            {
                return JsonRewriteResult.Dropped;
            }

            if (block.Merged)
            {
                // The end tag waits: the next text block's start continues this one, anything else closes it first.
                _mergeOpen = block.Client;
                return JsonRewriteResult.Dropped;
            }

            if (block.Stripper is not { } stripper)
            {
                return Pass(json, e, output, block.Client);
            }

            _answer.Clear();
            _thought.Clear();
            stripper.Complete(_answer, Sink);
            _thinkingChars += Mode == ThinkMode.Split ? JsonRewriteContext.CharCount(_thought.WrittenSpan) : 0;
            if (Mode == ThinkMode.Split)
            {
                MessagesTagSplitter.Write(block, _thought.WrittenSpan, _answer.WrittenSpan, ref _next, output);
                if (block.Open == MessagesBlockKind.None)
                {
                    // All of it was nothing: the block stays, empty, as Anthropic's API allows a text block to be.
                    MessagesTagSplitter.OpenText(block, ref _next, output);
                }

                return block.Open == MessagesBlockKind.Text ? Pass(json, e, output, block.Client) : MessagesTagSplitter.Stop(block, output);
            }

            if (_answer.Length > 0)
            {
                MessagesEventWriter.Delta(output, block.Client, _answer.WrittenSpan, thinking: false);
            }

            return Pass(json, e, output, block.Client);
        }
    }

    /// <summary>Runs text through a text block's filter: answer into <see cref="_answer"/>, thought into <see cref="_thought"/> (split) or the answer (merge).</summary>
    private void Filter(ThinkTagStripper stripper, ReadOnlySpan<byte> text)
    {
        int before = _answer.Length;
        stripper.Process(text, _answer, Sink);
        _thinkingChars += Mode switch
        {
            ThinkMode.Strip => JsonRewriteContext.CharCount(text) - JsonRewriteContext.CharCount(_answer.WrittenSpan[before..]),
            ThinkMode.Split => JsonRewriteContext.CharCount(_thought.WrittenSpan),
            _ => 0,
        };
    }

    /// <summary>Merge mode: a thinking block sent as text, followed by something other than text, gets its end tag and its stop.</summary>
    private void CloseMerged(PooledByteBuffer output)
    {
        if (_mergeOpen < 0)
        {
            return;
        }

        MessagesEventWriter.RawTextDelta(output, _mergeOpen, s_endTag, default);
        MessagesEventWriter.Stop(output, _mergeOpen);
        _mergeOpen = -1;
    }

    /// <summary>
    /// The upstream's event with the client's index: its own bytes (the fast path) when nothing was written before it and
    /// the index is the same, else written whole after what was.
    /// </summary>
    private JsonRewriteResult Pass(ReadOnlySpan<byte> json, in MessagesEvent e, PooledByteBuffer output, int client)
    {
        if (client != e.Index && e.IndexLength > 0)
        {
            MessagesEventWriter.WithIndex(output, json, e, client);
            return JsonRewriteResult.Rewritten;
        }

        if (output.Length == 0)
        {
            ProbePasses++;
            return JsonRewriteResult.Unchanged;
        }

        MessagesEventWriter.AsItCame(output, json, e);
        return JsonRewriteResult.Rewritten;
    }

    private static JsonRewriteResult Finish(PooledByteBuffer output) => output.Length > 0 ? JsonRewriteResult.Rewritten : JsonRewriteResult.Dropped;
}
