using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// What the filter needs of one Messages stream event, read in one pass without allocating: its type, its block index
/// and where that number stands (to splice another), the block's or delta's type and where its one string payload
/// stands, and message_start's model. Shapes: Anthropic's "Streaming messages" docs.
/// </summary>
internal struct MessagesEvent
{
    public MessagesEventType Type;

    /// <summary>The root "index", or -1 when there is none or it is not a small non-negative integer.</summary>
    public int Index;

    /// <summary>Where the index's number starts and how long it is (to put the client's index in its place).</summary>
    public int IndexAt;
    public int IndexLength;

    /// <summary>Where the root "type" string's token starts and its length with the quotes (to name an unknown event).</summary>
    public int TypeAt;
    public int TypeLength;

    /// <summary>content_block_start: the block's kind.</summary>
    public MessagesBlockKind Block;

    /// <summary>content_block_delta: the delta's kind.</summary>
    public MessagesDeltaKind Delta;

    /// <summary>
    /// The string token (quotes included) of the block's "text" or "thinking", or of the delta's "text", "thinking" or
    /// "signature"; -1 when absent.
    /// </summary>
    public int TextAt;
    public int TextLength;

    /// <summary>The payload string holds escapes: its bytes are not its text.</summary>
    public bool TextEscaped;

    /// <summary>The block or delta carries a string named for thinking besides the one its type says: only a rewrite drops it.</summary>
    public bool StrayThinking;

    /// <summary>message_start: the message's "model" string token (quotes included); -1 when absent.</summary>
    public int ModelAt;
    public int ModelLength;

    /// <summary>message_start: the message's "content" array is not empty (real servers send it empty).</summary>
    public bool ContentNotEmpty;

    /// <summary>The payload string's bytes between its quotes, still escaped (empty when there is none).</summary>
    public readonly ReadOnlySpan<byte> RawText(ReadOnlySpan<byte> json) =>
        TextAt < 0 ? default : json.Slice(TextAt + 1, TextLength - 2);

    /// <summary>The payload's characters, counted on its escaped form (for the metrics).</summary>
    public readonly long TextChars(ReadOnlySpan<byte> json) => JsonRewriteContext.CharCount(RawText(json));

    /// <summary>The payload's text, unescaped into <paramref name="scratch"/> when it must be; false when it holds invalid UTF-8 or a lone surrogate escape.</summary>
    public readonly bool TryDecodeText(ReadOnlySpan<byte> json, PooledByteBuffer scratch, out ReadOnlySpan<byte> text)
    {
        text = RawText(json);
        if (!TextEscaped)
        {
            return true;
        }

        var reader = new Utf8JsonReader(json.Slice(TextAt, TextLength));
        try
        {
            reader.Read();
            scratch.Clear();
            int written = reader.CopyString(scratch.GetSpan(text.Length));
            scratch.Advance(written);
            text = scratch.WrittenSpan;
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Reads <paramref name="json"/>; false when it is not one JSON object.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out MessagesEvent e)
    {
        e = default;
        e.Index = -1;
        e.TextAt = -1;
        e.ModelAt = -1;
        e.TypeAt = -1;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    e.Type = reader.TokenType == JsonTokenType.String ? TypeOf(ref reader) : MessagesEventType.Unknown;
                    e.TypeAt = reader.TokenType == JsonTokenType.String ? (int)reader.TokenStartIndex : -1;
                    e.TypeLength = reader.ValueSpan.Length + 2;
                }
                else if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    bool number = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int index) && index >= 0;
                    e.Index = number ? reader.GetInt32() : -1;
                    e.IndexAt = (int)reader.TokenStartIndex;
                    e.IndexLength = reader.ValueSpan.Length;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("content_block"u8))
                {
                    reader.Read();
                    ReadPart(ref reader, ref e, block: true);
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    ReadPart(ref reader, ref e, block: false);
                }
                else if (reader.ValueTextEquals("message"u8))
                {
                    reader.Read();
                    ReadMessage(ref reader, ref e);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Anything after the object (a second document, junk) makes it unreadable.
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static MessagesEventType TypeOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("content_block_delta"u8))
        {
            return MessagesEventType.ContentBlockDelta;
        }

        if (reader.ValueTextEquals("content_block_start"u8))
        {
            return MessagesEventType.ContentBlockStart;
        }

        if (reader.ValueTextEquals("content_block_stop"u8))
        {
            return MessagesEventType.ContentBlockStop;
        }

        if (reader.ValueTextEquals("message_start"u8))
        {
            return MessagesEventType.MessageStart;
        }

        if (reader.ValueTextEquals("message_delta"u8))
        {
            return MessagesEventType.MessageDelta;
        }

        if (reader.ValueTextEquals("message_stop"u8))
        {
            return MessagesEventType.MessageStop;
        }

        if (reader.ValueTextEquals("ping"u8))
        {
            return MessagesEventType.Ping;
        }

        if (reader.ValueTextEquals("message"u8))
        {
            return MessagesEventType.Message;
        }

        return reader.ValueTextEquals("error"u8) ? MessagesEventType.Error : MessagesEventType.Unknown;
    }

    /// <summary>A block's or delta's object: its type and its one string payload.</summary>
    private static void ReadPart(ref Utf8JsonReader reader, ref MessagesEvent e, bool block)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        int thinkingAt = -1, thinkingLength = 0, textAt = -1, textLength = 0, signatureAt = -1, signatureLength = 0;
        bool thinkingEscaped = false, textEscaped = false, signatureEscaped = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool type = reader.ValueTextEquals("type"u8);
            bool text = !type && reader.ValueTextEquals("text"u8);
            bool thinking = !type && !text && reader.ValueTextEquals("thinking"u8);
            bool signature = !block && !type && !text && !thinking && reader.ValueTextEquals("signature"u8);
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                // A thinking text that is not a string (an object, an array) cannot be read: only a rewrite removes it.
                e.StrayThinking |= thinking;
                reader.Skip();
                continue;
            }

            int at = (int)reader.TokenStartIndex;
            int length = reader.ValueSpan.Length + 2;
            if (type)
            {
                if (block)
                {
                    e.Block = BlockOf(ref reader);
                }
                else
                {
                    e.Delta = DeltaOf(ref reader);
                }
            }
            else if (text)
            {
                (textAt, textLength, textEscaped) = (at, length, reader.ValueIsEscaped);
            }
            else if (thinking)
            {
                (thinkingAt, thinkingLength, thinkingEscaped) = (at, length, reader.ValueIsEscaped);
            }
            else if (signature)
            {
                (signatureAt, signatureLength, signatureEscaped) = (at, length, reader.ValueIsEscaped);
            }
        }

        bool thinkingKind = block ? e.Block is MessagesBlockKind.Thinking : e.Delta is MessagesDeltaKind.Thinking;
        if (thinkingKind)
        {
            (e.TextAt, e.TextLength, e.TextEscaped) = (thinkingAt, thinkingLength, thinkingEscaped);
            return;
        }

        e.StrayThinking |= thinkingAt >= 0;
        if (!block && e.Delta == MessagesDeltaKind.Signature)
        {
            (e.TextAt, e.TextLength, e.TextEscaped) = (signatureAt, signatureLength, signatureEscaped);
        }
        else
        {
            (e.TextAt, e.TextLength, e.TextEscaped) = (textAt, textLength, textEscaped);
        }
    }

    /// <summary>The kind a block's "type" string (the reader is on it) names.</summary>
    internal static MessagesBlockKind BlockOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("text"u8))
        {
            return MessagesBlockKind.Text;
        }

        if (reader.ValueTextEquals("thinking"u8))
        {
            return MessagesBlockKind.Thinking;
        }

        if (reader.ValueTextEquals("redacted_thinking"u8))
        {
            return MessagesBlockKind.RedactedThinking;
        }

        // Failing closed: a block type we do not know that names thinking is taken for thinking.
        return !reader.ValueIsEscaped && reader.ValueSpan.IndexOf("thinking"u8) >= 0 ? MessagesBlockKind.Thinking : MessagesBlockKind.Other;
    }

    private static MessagesDeltaKind DeltaOf(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("text_delta"u8))
        {
            return MessagesDeltaKind.Text;
        }

        if (reader.ValueTextEquals("thinking_delta"u8))
        {
            return MessagesDeltaKind.Thinking;
        }

        return reader.ValueTextEquals("signature_delta"u8) ? MessagesDeltaKind.Signature : MessagesDeltaKind.Other;
    }

    /// <summary>message_start's message: its model and whether its content is empty.</summary>
    private static void ReadMessage(ref Utf8JsonReader reader, ref MessagesEvent e)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool model = reader.ValueTextEquals("model"u8);
            bool content = !model && reader.ValueTextEquals("content"u8);
            reader.Read();
            if (model && reader.TokenType == JsonTokenType.String)
            {
                e.ModelAt = (int)reader.TokenStartIndex;
                e.ModelLength = reader.ValueSpan.Length + 2;
            }
            else if (content && reader.TokenType == JsonTokenType.StartArray)
            {
                int depth = reader.CurrentDepth;
                reader.Read();
                e.ContentNotEmpty |= reader.TokenType != JsonTokenType.EndArray;
                while (reader.TokenType != JsonTokenType.EndArray || reader.CurrentDepth != depth)
                {
                    reader.Read();
                }

                continue;
            }
            else if (content)
            {
                e.ContentNotEmpty = true;
            }

            reader.Skip();
        }
    }
}
