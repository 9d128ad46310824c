using System.Buffers;
using System.Text;

namespace CotProxy.Filtering;

/// <summary>
/// Removes (or separates) think blocks from one text field, incrementally over UTF-8 bytes.
/// Output never depends on how the input was split. Only a possible tag prefix is held back, plus
/// leading whitespace of the answer (bounded) and, in starts-open mode, the open thought (bounded).
/// </summary>
internal sealed class ThinkTagStripper : IDisposable
{
    /// <summary>Whitespace at the very start of an answer is held this far to see whether a block follows.</summary>
    internal const int MaxHeldWhitespace = 256;

    /// <summary>Text written from a held buffer, not from the current input (see <see cref="VisibleRanges"/>).</summary>
    private const int NotFromInput = int.MinValue;

    /// <summary>Starts-open text held waiting for an end tag; beyond this it is treated as thinking.</summary>
    internal const int MaxOpenThoughtBytes = 256 * 1024;

    private readonly ThinkTagSet _tags;
    private readonly bool _startsOpen;
    private readonly byte[] _tail;
    private int _tailLength;
    private PooledByteBuffer? _pending;
    private PooledByteBuffer? _thoughtWhitespace;
    private ThinkTagStripperState _state;
    private bool _tagSeen;
    private bool _answerStarted;
    private bool _blockRemoved;
    private bool _thoughtStarted;
    private int _family;
    private int _inputLength;

    /// <summary>With <paramref name="merge"/> (merge mode) the thinking writer receives each thought wrapped in &lt;think&gt;…&lt;/think&gt;, whatever its family's tags.</summary>
    public ThinkTagStripper(ThinkTagSet tags, bool startsOpen, bool merge = false)
    {
        _tags = tags;
        _startsOpen = startsOpen;
        Merges = merge;
        // A tag's prefix, or a byte order mark's.
        _tail = new byte[Math.Max(tags.MaxTagLength, 3)];
        Reset();
    }

    /// <summary>One custom pair of tags (start-anchored unless <paramref name="anywhere"/>).</summary>
    public ThinkTagStripper(ReadOnlySpan<byte> startTag, ReadOnlySpan<byte> endTag, bool startsOpen, bool anywhere = false)
        : this(CustomSet(startTag, endTag, anywhere), startsOpen)
    {
    }

    /// <summary>Merge mode (see the constructor).</summary>
    public bool Merges { get; }

    /// <summary>The family this text's tags belong to: null until its first tag picks one of several.</summary>
    public ThinkTagFamily? Family => _family >= 0 ? _tags.Families[_family] : null;

    public ThinkTagStripperState State => _state;

    /// <summary>True while the text being received is (possibly) thinking.</summary>
    public bool InThought => _state != ThinkTagStripperState.Answer;

    /// <summary>
    /// In the answer, past its start, holding nothing: text that holds no byte a tag begins with passes
    /// through unchanged and leaves this state as it is.
    /// </summary>
    public bool IsSteadyAnswer => _state == ThinkTagStripperState.Answer && _answerStarted && _tailLength == 0 && (_pending is null || _pending.Length == 0);

    /// <summary>
    /// A steady answer where no tag can count any more (start-anchored, past the answer's start, after a block; no
    /// markers to remove): text passes through unchanged and leaves this state as it is, whatever bytes it holds.
    /// </summary>
    public bool AcceptsNoTag => IsSteadyAnswer && _tags.For(_family, Phase(_tags.Anywhere)).IsEmpty;

    /// <summary>Inside a thought, or holding what may begin a tag: the next text may be thinking.</summary>
    public bool MayBeInThought => _state != ThinkTagStripperState.Answer || _tailLength > 0;

    /// <summary>Bytes currently held back (tag prefix, leading whitespace, open thought, a separated thought's trailing whitespace).</summary>
    public int HeldBytes => _tailLength + (_pending?.Length ?? 0) + (_thoughtWhitespace?.Length ?? 0);

    /// <summary>The current thought has shown a byte other than whitespace: whitespace from here on is its text, not its margin.</summary>
    public bool ThoughtStarted => _thoughtStarted;

    /// <summary>
    /// When set, each <see cref="Process"/> call appends the ranges of its input written to the answer as they stood
    /// (offsets into that input, adjacent ranges joined): what the logprobs filter keeps tokens of. Text written from
    /// what was held (whitespace, a tag prefix from an earlier call) is not listed, so a token is kept only where its
    /// own bytes passed: a kept token never covers hidden text.
    /// </summary>
    public List<(int Start, int End)>? VisibleRanges { get; set; }

    /// <summary>Filters <paramref name="input"/>; answer text goes to <paramref name="answer"/>, thinking to <paramref name="thinking"/> (null drops it).</summary>
    public void Process(ReadOnlySpan<byte> input, IBufferWriter<byte> answer, IBufferWriter<byte>? thinking)
    {
        _inputLength = input.Length;
        if (_tailLength == 0)
        {
            Scan(input, answer, thinking);
            return;
        }

        int total = _tailLength + input.Length;
        byte[] work = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            _tail.AsSpan(0, _tailLength).CopyTo(work);
            input.CopyTo(work.AsSpan(_tailLength));
            _tailLength = 0;
            Scan(work.AsSpan(0, total), answer, thinking);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(work);
        }
    }

    /// <summary>The text ended: releases what is held and resets to the initial state.</summary>
    public void Complete(IBufferWriter<byte> answer, IBufferWriter<byte>? thinking)
    {
        ReadOnlySpan<byte> tail = _tail.AsSpan(0, _tailLength);
        switch (_state)
        {
            case ThinkTagStripperState.Answer:
                // A partial tag prefix at the end is literal text.
                EmitAnswer(tail, answer);
                FlushPending(answer);
                break;
            case ThinkTagStripperState.Thought:
                // A block never closed (finish_reason "length"): dropped in strip mode, closed in merge mode.
                WriteThought(tail, thinking);
                EndThought(thinking);
                break;
            case ThinkTagStripperState.OpenThought:
                // No end tag at all: the model did not think, the held text is the answer.
                FlushPending(answer);
                answer.Write(tail);
                break;
        }

        Reset();
    }

    public void Reset()
    {
        _tailLength = 0;
        _pending?.Clear();
        _thoughtWhitespace?.Clear();
        _thoughtStarted = false;
        _state = _startsOpen ? ThinkTagStripperState.OpenThought : ThinkTagStripperState.Answer;
        _tagSeen = false;
        _answerStarted = false;
        _blockRemoved = false;
        _family = _tags.PicksFamily ? -1 : 0;
    }

    public void Dispose()
    {
        _pending?.Dispose();
        _pending = null;
        _thoughtWhitespace?.Dispose();
        _thoughtWhitespace = null;
    }

    private void Scan(ReadOnlySpan<byte> data, IBufferWriter<byte> answer, IBufferWriter<byte>? thinking)
    {
        while (_state == ThinkTagStripperState.Answer ? ScanAnswer(ref data, answer) : ScanThought(ref data, thinking))
        {
        }
    }

    /// <summary>Answer text up to and through the next tag that counts here; false when the data is used up.</summary>
    private bool ScanAnswer(ref ReadOnlySpan<byte> data, IBufferWriter<byte> answer)
    {
        bool open = _tags.Anywhere || !_answerStarted;
        ThinkTagList tags = _tags.For(_family, Phase(open));
        int from = 0;
        int at;
        ThinkTag? tag;
        if (open && !_tags.Anywhere)
        {
            // Start-anchored: a start tag counts only where the answer (or the text after a block) begins.
            int whitespace = CountLeadingSpace(data);
            ReadOnlySpan<byte> rest = data[whitespace..];
            if (rest.IsEmpty)
            {
                EmitAnswer(data, answer, InputOffset(data));
                return false;
            }

            tag = tags.MatchAt(rest);
            if (tag is null && (tags.MayBegin(rest) || (rest.Length < 3 && "\uFEFF"u8.StartsWith(rest))))
            {
                EmitAnswer(data[..whitespace], answer, InputOffset(data));
                SaveTail(rest);
                return false;
            }

            if (tag is null)
            {
                // The answer begins here: past it only an end tag before any block, or a marker, counts.
                open = false;
                tags = _tags.For(_family, Phase(open));
                from = whitespace + 1;
                at = tags.Find(data[from..], out tag);
                at = at < 0 ? -1 : at + from;
            }
            else
            {
                at = whitespace;
            }
        }
        else
        {
            at = tags.Find(data, out tag);
        }

        if (at < 0)
        {
            int hold = tags.PartialSuffix(data[from..]);
            EmitAnswer(data[..^hold], answer, InputOffset(data));
            SaveTail(data[^hold..]);
            return false;
        }

        if (tag!.Role == ThinkTagRole.Start && !open)
        {
            // Start-anchored, inside the answer: the tag is text, and so is the end tag that pairs with it.
            int past = at + tag.Bytes.Length;
            EmitAnswer(data[..past], answer, InputOffset(data));
            data = data[past..];
            _tagSeen = true;
            return true;
        }

        EmitAnswer(data[..at], answer, InputOffset(data));
        data = data[(at + tag.Bytes.Length)..];
        if (!_answerStarted)
        {
            // Whitespace-only text before a block at the start of the answer goes with it.
            _pending?.Clear();
        }

        if (tag.Role == ThinkTagRole.Drop)
        {
            // A marker around the answer (Harmony): whitespace after one at the start goes too.
            _blockRemoved |= !_answerStarted;
            return true;
        }

        _tagSeen = true;
        _family = tag.Family;
        if (tag.Role == ThinkTagRole.Start)
        {
            _state = ThinkTagStripperState.Thought;
        }
        else
        {
            // An end tag before any block: the empty no-think block some templates emit, or a template that opened the block itself.
            _blockRemoved = true;
        }

        return true;
    }

    /// <summary>Thought text up to and through its end tag; false when the data is used up.</summary>
    private bool ScanThought(ref ReadOnlySpan<byte> data, IBufferWriter<byte>? thinking)
    {
        ThinkTagList ends = _tags.For(_family, ThinkTagPhase.Thought);
        int end = ends.Find(data, out ThinkTag? tag);
        if (end < 0)
        {
            int hold = ends.PartialSuffix(data);
            EmitThought(data[..^hold], thinking);
            SaveTail(data[^hold..]);
            return false;
        }

        EmitThought(data[..end], thinking);
        if (_state == ThinkTagStripperState.OpenThought && _pending is not null)
        {
            WriteThought(_pending.WrittenSpan, thinking);
            _pending.Clear();
        }

        EndThought(thinking);
        _state = ThinkTagStripperState.Answer;
        _tagSeen = true;
        _blockRemoved = true;
        _family = tag!.Family;
        data = data[(end + tag.Bytes.Length)..];
        return true;
    }

    private ThinkTagPhase Phase(bool open) => (open, _tagSeen) switch
    {
        (true, false) => ThinkTagPhase.OpenFresh,
        (true, true) => ThinkTagPhase.Open,
        (false, false) => ThinkTagPhase.ClosedFresh,
        _ => ThinkTagPhase.Closed,
    };

    private static ThinkTagSet CustomSet(ReadOnlySpan<byte> startTag, ReadOnlySpan<byte> endTag, bool anywhere)
    {
        if (startTag.IsEmpty || endTag.IsEmpty)
        {
            throw new ArgumentException("Think tags must not be empty.");
        }

        return new ThinkTagSet([ThinkTagFamily.Custom(Encoding.UTF8.GetString(startTag), Encoding.UTF8.GetString(endTag))], anywhere);
    }

    /// <summary>The offset in the current input of <paramref name="data"/>'s first byte (negative inside a held tail): data always runs to the input's end.</summary>
    private int InputOffset(ReadOnlySpan<byte> data) => _inputLength - data.Length;

    /// <summary>Notes that the input's bytes [<paramref name="at"/>, +<paramref name="length"/>) were written to the answer.</summary>
    private void RecordVisible(int at, int length)
    {
        if (VisibleRanges is not { } ranges || at == NotFromInput)
        {
            return;
        }

        int start = Math.Max(at, 0);
        int end = at + length;
        if (end <= start)
        {
            return;
        }

        if (ranges.Count > 0 && ranges[^1].End == start)
        {
            ranges[^1] = (ranges[^1].Start, end);
            return;
        }

        ranges.Add((start, end));
    }

    private void EmitAnswer(ReadOnlySpan<byte> text, IBufferWriter<byte> answer, int at = NotFromInput)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (_answerStarted)
        {
            answer.Write(text);
            RecordVisible(at, text.Length);
            return;
        }

        int whitespace = CountLeadingSpace(text);
        if (_blockRemoved)
        {
            // "<think>…</think>\n\nAnswer" → "Answer": whitespace after a removed block at the start is dropped.
            if (whitespace == text.Length)
            {
                return;
            }

            _answerStarted = true;
            answer.Write(text[whitespace..]);
            RecordVisible(at == NotFromInput ? at : at + whitespace, text.Length - whitespace);
            return;
        }

        if (whitespace == text.Length)
        {
            _pending ??= new PooledByteBuffer(64);
            if (_pending.Length + text.Length <= MaxHeldWhitespace)
            {
                _pending.Append(text);
                return;
            }

            FlushPending(answer);
            _answerStarted = true;
            answer.Write(text);
            RecordVisible(at, text.Length);
            return;
        }

        FlushPending(answer);
        _answerStarted = true;
        answer.Write(text);
        RecordVisible(at, text.Length);
    }

    private void EmitThought(ReadOnlySpan<byte> text, IBufferWriter<byte>? thinking)
    {
        if (text.IsEmpty)
        {
            return;
        }

        if (_state != ThinkTagStripperState.OpenThought)
        {
            WriteThought(text, thinking);
            return;
        }

        _pending ??= new PooledByteBuffer(1024);
        if (_pending.Length + text.Length <= MaxOpenThoughtBytes)
        {
            _pending.Append(text);
            return;
        }

        // Too long to still be a missing-thought answer: commit to thinking and stop holding.
        WriteThought(_pending.WrittenSpan, thinking);
        _pending.Clear();
        WriteThought(text, thinking);
        _state = ThinkTagStripperState.Thought;
    }

    /// <summary>
    /// Thought text, without the blank lines around it: "&lt;think&gt;\nWhy.\n&lt;/think&gt;" separates as "Why.", as Ollama's
    /// thinking parser (thinking/parser.go) trims it. Whitespace at a thought's start is dropped; whitespace that may be its
    /// end is held (at most <see cref="MaxHeldWhitespace"/> bytes) until more text shows it was not.
    /// </summary>
    private void WriteThought(ReadOnlySpan<byte> text, IBufferWriter<byte>? thinking)
    {
        if (!_thoughtStarted)
        {
            text = text[CountLeadingWhitespace(text)..];
            if (text.IsEmpty)
            {
                return;
            }

            _thoughtStarted = true;
            if (Merges)
            {
                thinking?.Write(ResponseRewriteOptions.MergeStartUtf8);
            }
        }

        if (thinking is null || text.IsEmpty)
        {
            return;
        }

        int keep = text.Length;
        while (keep > 0 && IsWhitespace(text[keep - 1]))
        {
            keep--;
        }

        if (keep > 0 && _thoughtWhitespace is { Length: > 0 })
        {
            thinking.Write(_thoughtWhitespace.WrittenSpan);
            _thoughtWhitespace.Clear();
        }

        thinking.Write(text[..keep]);
        ReadOnlySpan<byte> trailing = text[keep..];
        if (trailing.IsEmpty)
        {
            return;
        }

        _thoughtWhitespace ??= new PooledByteBuffer(64);
        if (_thoughtWhitespace.Length + trailing.Length > MaxHeldWhitespace)
        {
            // A run this long is part of the thought, not its margin.
            thinking.Write(_thoughtWhitespace.WrittenSpan);
            _thoughtWhitespace.Clear();
            thinking.Write(trailing);
            return;
        }

        _thoughtWhitespace.Append(trailing);
    }

    /// <summary>The thought's end tag: whitespace held before it was its margin.</summary>
    private void EndThought(IBufferWriter<byte>? thinking)
    {
        if (Merges && _thoughtStarted)
        {
            thinking?.Write(ResponseRewriteOptions.MergeEndUtf8);
        }

        _thoughtWhitespace?.Clear();
        _thoughtStarted = false;
    }

    private void FlushPending(IBufferWriter<byte> answer)
    {
        if (_pending is { Length: > 0 })
        {
            answer.Write(_pending.WrittenSpan);
            _pending.Clear();
        }
    }

    private void SaveTail(ReadOnlySpan<byte> tail)
    {
        tail.CopyTo(_tail);
        _tailLength = tail.Length;
    }

    /// <summary>Length of the longest suffix of <paramref name="data"/> that is a proper prefix of <paramref name="tag"/>.</summary>
    internal static int PartialTagSuffix(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag)
    {
        int from = Math.Max(0, data.Length - (tag.Length - 1));
        while (from < data.Length)
        {
            int found = data[from..].IndexOf(tag[0]);
            if (found < 0)
            {
                return 0;
            }

            from += found;
            ReadOnlySpan<byte> suffix = data[from..];
            if (tag.StartsWith(suffix))
            {
                return suffix.Length;
            }

            from++;
        }

        return 0;
    }

    private static int CountLeadingWhitespace(ReadOnlySpan<byte> text)
    {
        int i = 0;
        while (i < text.Length && IsWhitespace(text[i]))
        {
            i++;
        }

        return i;
    }

    /// <summary>Whitespace and byte order marks (a text/plain body may begin with one): what may stand before an anchored start tag.</summary>
    private static int CountLeadingSpace(ReadOnlySpan<byte> text)
    {
        int i = 0;
        while (i < text.Length)
        {
            if (IsWhitespace(text[i]))
            {
                i++;
            }
            else if (text[i..].StartsWith("\uFEFF"u8))
            {
                i += 3;
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';
}
