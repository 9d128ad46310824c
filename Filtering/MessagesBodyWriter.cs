using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Rewrites a whole Messages API body ({"type":"message","content":[blocks…]}, Anthropic's "Extended thinking" docs), or
/// a message_start event whose message already holds blocks, in one forward pass: strip removes thinking and
/// redacted_thinking blocks and think tags in text; split keeps thinking blocks and makes tagged thought a thinking block
/// before its text; merge puts each thinking block's text inline at the start of the next text block.
/// </summary>
internal sealed class MessagesBodyWriter : IDisposable
{
    private readonly ResponseRewriteOptions _options;
    private readonly ThinkTagStripper? _stripper;
    private readonly JsonDocumentScanner _scanner = new();
    private readonly PooledByteBuffer _decoded = new();
    private readonly PooledByteBuffer _answer = new();
    private readonly PooledByteBuffer _thought = new();
    private readonly PooledByteBuffer _merged = new();
    private readonly PooledByteBuffer _escaped = new();
    private Utf8JsonWriter? _writer;
    private bool _changed;
    private bool _pending;

    public MessagesBodyWriter(ResponseRewriteOptions options)
    {
        _options = options;
        if (options.FiltersThinking)
        {
            _stripper = new ThinkTagStripper(options.Tags, options.StartsOpen, options.Mode == ThinkMode.Merge);
        }
    }

    /// <summary>Characters of thinking removed or moved so far.</summary>
    public long ThinkingChars { get; private set; }

    private ThinkMode Mode => _options.Mode;

    public JsonRewriteResult Rewrite(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        if (!_scanner.Scan(json))
        {
            // Invalid UTF-8, a lone surrogate, nesting too deep, not an object: it may hold thinking (failing closed).
            return _options.FiltersThinking ? JsonRewriteResult.Unreadable : JsonRewriteResult.Unchanged;
        }

        output.Clear();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(output, JsonOutput.UncheckedOptions);
        writer.Reset(output);
        _changed = false;
        var reader = new Utf8JsonReader(json);
        reader.Read();
        WriteMessage(ref reader, writer);
        writer.Flush();
        return _changed ? JsonRewriteResult.Rewritten : JsonRewriteResult.Unchanged;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _stripper?.Dispose();
        _scanner.Dispose();
        _decoded.Dispose();
        _answer.Dispose();
        _thought.Dispose();
        _merged.Dispose();
        _escaped.Dispose();
    }

    /// <summary>An object that may be a message: its "model" renamed, its "content" filtered, a "message" in it (message_start's) the same way.</summary>
    private void WriteMessage(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool model = _options.ClientModelNameUtf8 is not null && reader.ValueTextEquals("model"u8);
            bool content = _options.FiltersThinking && reader.ValueTextEquals("content"u8);
            bool message = reader.ValueTextEquals("message"u8);
            JsonTokenCopier.WriteToken(ref reader, writer);
            reader.Read();
            if (model && reader.TokenType == JsonTokenType.String)
            {
                byte[] name = _options.ClientModelNameUtf8!;
                if (reader.ValueIsEscaped || !reader.ValueSpan.SequenceEqual(name))
                {
                    WriteText(writer, name);
                    _changed = true;
                    continue;
                }
            }

            if (content && reader.TokenType == JsonTokenType.StartArray)
            {
                WriteContent(ref reader, writer);
            }
            else if (message && reader.TokenType == JsonTokenType.StartObject)
            {
                WriteMessage(ref reader, writer);
            }
            else
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>The reader is on the content array's start.</summary>
    private void WriteContent(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        _merged.Clear();
        _pending = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            MessagesBlockKind kind = reader.TokenType == JsonTokenType.StartObject ? KindOf(reader) : MessagesBlockKind.None;
            if (kind is MessagesBlockKind.Thinking or MessagesBlockKind.RedactedThinking && Mode != ThinkMode.Split)
            {
                // Strip removes both; merge keeps what can be read (redacted thinking is encrypted: it has no text to show).
                if (Mode == ThinkMode.Merge && kind == MessagesBlockKind.Thinking)
                {
                    CollectThinking(reader);
                }
                else
                {
                    ThinkingChars += FieldChars(reader, "thinking"u8);
                }

                reader.Skip();
                _changed = true;
                continue;
            }

            if (kind == MessagesBlockKind.Text && TryFilterText(reader))
            {
                if (_thought.Length > 0)
                {
                    WriteThinkingBlock(writer, _thought.WrittenSpan);
                }

                WriteTextBlock(ref reader, writer);
                continue;
            }

            if (_pending)
            {
                WriteMergedBlock(writer);
            }

            JsonTokenCopier.CopyValue(ref reader, writer);
        }

        if (_pending)
        {
            WriteMergedBlock(writer);
        }

        writer.WriteEndArray();
    }

    /// <summary>Runs a text block's "text" through the filter into <see cref="_answer"/> (split: thought into <see cref="_thought"/>); false when it has no text string.</summary>
    private bool TryFilterText(Utf8JsonReader reader)
    {
        if (!TryFindString(ref reader, "text"u8))
        {
            return false;
        }

        ReadOnlySpan<byte> text = Decode(ref reader);
        _answer.Clear();
        _thought.Clear();
        if (_pending)
        {
            // Merge: the thinking blocks before this text open it, as <think>…</think>.
            _answer.Append(ResponseRewriteOptions.MergeStartUtf8);
            _answer.Append(_merged.WrittenSpan);
            _answer.Append(ResponseRewriteOptions.MergeEndUtf8);
            _pending = false;
            _merged.Clear();
        }

        int head = _answer.Length;
        ThinkTagStripper stripper = _stripper!;
        PooledByteBuffer? sink = Mode switch
        {
            ThinkMode.Split => _thought,
            ThinkMode.Merge => _answer,
            _ => null,
        };
        stripper.Reset();
        stripper.Process(text, _answer, sink);
        stripper.Complete(_answer, sink);
        ReadOnlySpan<byte> filtered = _answer.WrittenSpan[head..];
        if (Mode == ThinkMode.Strip)
        {
            ThinkingChars += JsonRewriteContext.CharCount(text) - JsonRewriteContext.CharCount(filtered);
        }
        else
        {
            ThinkingChars += JsonRewriteContext.CharCount(_thought.WrittenSpan);
        }

        _changed |= head > 0 || _thought.Length > 0 || !filtered.SequenceEqual(text);
        return true;
    }

    /// <summary>The reader is on a text block's start: its "text" becomes <see cref="_answer"/>, the rest is copied.</summary>
    private void WriteTextBlock(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        bool written = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool text = !written && reader.ValueTextEquals("text"u8);
            JsonTokenCopier.WriteToken(ref reader, writer);
            reader.Read();
            if (text && reader.TokenType == JsonTokenType.String)
            {
                written = true;
                WriteText(writer, _answer.WrittenSpan);
                continue;
            }

            JsonTokenCopier.CopyValue(ref reader, writer);
        }

        writer.WriteEndObject();
    }

    /// <summary>Thought found in tags, as a thinking block; no server signed it, so its signature is empty.</summary>
    private void WriteThinkingBlock(Utf8JsonWriter writer, ReadOnlySpan<byte> thought)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "thinking"u8);
        writer.WritePropertyName("thinking"u8);
        WriteText(writer, thought);
        writer.WriteString("signature"u8, ""u8);
        writer.WriteEndObject();
        _changed = true;
    }

    /// <summary>Merge: thinking with no text block after it (a tool_use follows, or nothing) becomes a text block of its own.</summary>
    private void WriteMergedBlock(Utf8JsonWriter writer)
    {
        _answer.Clear();
        _answer.Append(ResponseRewriteOptions.MergeStartUtf8);
        _answer.Append(_merged.WrittenSpan);
        _answer.Append(ResponseRewriteOptions.MergeEndUtf8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WritePropertyName("text"u8);
        WriteText(writer, _answer.WrittenSpan);
        writer.WriteEndObject();
        _merged.Clear();
        _pending = false;
    }

    /// <summary>Merge: a thinking block's text joins what the next text block opens with (blocks apart by a blank line).</summary>
    private void CollectThinking(Utf8JsonReader reader)
    {
        _pending = true;
        if (!TryFindString(ref reader, "thinking"u8))
        {
            return;
        }

        ReadOnlySpan<byte> thinking = Decode(ref reader);
        if (_merged.Length > 0 && !thinking.IsEmpty)
        {
            _merged.Append("\n\n"u8);
        }

        _merged.Append(thinking);
        ThinkingChars += JsonRewriteContext.CharCount(thinking);
    }

    private long FieldChars(Utf8JsonReader reader, ReadOnlySpan<byte> name) =>
        TryFindString(ref reader, name) ? JsonRewriteContext.CharCount(Decode(ref reader)) : 0;

    /// <summary>The reader (a copy) is on an object's start: the kind its "type" names.</summary>
    private static MessagesBlockKind KindOf(Utf8JsonReader reader)
    {
        return TryFindString(ref reader, "type"u8) ? MessagesEvent.BlockOf(ref reader) : MessagesBlockKind.Other;
    }

    /// <summary>Moves the reader from an object's start to the string value of its property <paramref name="name"/>; false when there is none.</summary>
    private static bool TryFindString(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(name);
            reader.Read();
            if (match && reader.TokenType == JsonTokenType.String)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    private ReadOnlySpan<byte> Decode(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        _decoded.Clear();
        int written = reader.CopyString(_decoded.GetSpan(reader.ValueSpan.Length));
        _decoded.Advance(written);
        return _decoded.WrittenSpan;
    }

    private void WriteText(Utf8JsonWriter writer, ReadOnlySpan<byte> utf8)
    {
        _escaped.Clear();
        JsonStringEscaper.WriteQuoted(utf8, _escaped);
        writer.WriteRawValue(_escaped.WrittenSpan, skipInputValidation: true);
    }
}
