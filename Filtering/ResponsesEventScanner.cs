using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Pass 1 over one Responses API document: checks that it can be re-encoded (valid UTF-8, decodable escapes) and notes
/// what the filter decides by: its type, the item and content it belongs to, where its sequence_number and output_index
/// stand (for splicing renumbered values into its own bytes) and where its "delta" text is. Reused for every document.
/// </summary>
internal sealed class ResponsesEventScanner : IDisposable
{
    private readonly PooledByteBuffer _scratch = new();
    private readonly PooledByteBuffer _itemId = new(64);
    private readonly PooledByteBuffer _type = new(64);

    public ResponsesEventKind Kind { get; private set; }

    /// <summary>response.reasoning_text.delta or response.reasoning_summary_text.delta: <see cref="DeltaAt"/> is thought.</summary>
    public bool ReasoningDelta { get; private set; }

    /// <summary>response.reasoning_summary_part.added: a new summary part begins.</summary>
    public bool SummaryPartAdded { get; private set; }

    /// <summary>response.output_item.done, response.content_part.done: the item or part ends here.</summary>
    public bool Done { get; private set; }

    public long Sequence { get; private set; }

    /// <summary>Where the sequence_number's digits stand (-1: none).</summary>
    public int SequenceAt { get; private set; }

    public int SequenceLength { get; private set; }

    public int OutputIndex { get; private set; }

    /// <summary>Where the output_index's digits stand (-1: none).</summary>
    public int OutputIndexAt { get; private set; }

    public int OutputIndexLength { get; private set; }

    public int ContentIndex { get; private set; }

    /// <summary>The "delta" string's raw text (between the quotes; -1: none).</summary>
    public int DeltaAt { get; private set; }

    public int DeltaLength { get; private set; }

    public bool DeltaEscaped { get; private set; }

    /// <summary>The item_id (or, in output_item events, item.id), unescaped; empty when none.</summary>
    public ReadOnlySpan<byte> ItemId => _itemId.WrittenSpan;

    /// <summary>Where the item_id string stands, its quotes included (-1: none).</summary>
    public int ItemIdAt { get; private set; }

    public int ItemIdLength { get; private set; }

    /// <summary>The "type" of the event's "item" or "part" object.</summary>
    public bool NestedReasoning { get; private set; }

    /// <summary>The event's "item" is a message (output_item events).</summary>
    public bool NestedMessage { get; private set; }

    /// <summary>Scans <paramref name="json"/>; false when it is not an object the filter can read and write again.</summary>
    public bool Scan(ReadOnlySpan<byte> json)
    {
        Kind = ResponsesEventKind.Other;
        ReasoningDelta = SummaryPartAdded = Done = NestedReasoning = NestedMessage = false;
        SequenceAt = OutputIndexAt = DeltaAt = ItemIdAt = -1;
        SequenceLength = OutputIndexLength = DeltaLength = ContentIndex = OutputIndex = ItemIdLength = 0;
        Sequence = 0;
        DeltaEscaped = false;
        _itemId.Clear();
        _type.Clear();
        bool hasResponse = false;
        bool hasOutput = false;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                JsonDocumentScanner.Validate(ref reader, _scratch);
                Utf8JsonReader name = reader;
                reader.Read();
                if (name.ValueTextEquals("type"u8) && reader.TokenType == JsonTokenType.String)
                {
                    JsonDocumentScanner.Validate(ref reader, _scratch);
                    Copy(ref reader, _type);
                }
                else if (name.ValueTextEquals("sequence_number"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long sequence))
                {
                    Sequence = sequence;
                    SequenceAt = (int)reader.TokenStartIndex;
                    SequenceLength = reader.ValueSpan.Length;
                }
                else if (name.ValueTextEquals("output_index"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int index))
                {
                    OutputIndex = index;
                    OutputIndexAt = (int)reader.TokenStartIndex;
                    OutputIndexLength = reader.ValueSpan.Length;
                }
                else if (name.ValueTextEquals("content_index"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int content))
                {
                    ContentIndex = content;
                }
                else if (name.ValueTextEquals("item_id"u8) && reader.TokenType == JsonTokenType.String)
                {
                    JsonDocumentScanner.Validate(ref reader, _scratch);
                    ItemIdAt = (int)reader.TokenStartIndex;
                    ItemIdLength = reader.ValueSpan.Length + 2;
                    Copy(ref reader, _itemId);
                }
                else if (name.ValueTextEquals("delta"u8) && reader.TokenType == JsonTokenType.String)
                {
                    JsonDocumentScanner.Validate(ref reader, _scratch);
                    DeltaAt = (int)reader.TokenStartIndex + 1;
                    DeltaLength = reader.ValueSpan.Length;
                    DeltaEscaped = reader.ValueIsEscaped;
                }
                else if ((name.ValueTextEquals("item"u8) || name.ValueTextEquals("part"u8)) && reader.TokenType == JsonTokenType.StartObject)
                {
                    ScanNested(ref reader, name.ValueTextEquals("item"u8));
                }
                else
                {
                    hasResponse |= name.ValueTextEquals("response"u8) && reader.TokenType == JsonTokenType.StartObject;
                    hasOutput |= name.ValueTextEquals("output"u8) && reader.TokenType == JsonTokenType.StartArray;
                    JsonDocumentScanner.SkipValidating(ref reader, _scratch);
                }
            }

            Classify(hasResponse, hasOutput);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _scratch.Dispose();
        _itemId.Dispose();
        _type.Dispose();
    }

    private void Classify(bool hasResponse, bool hasOutput)
    {
        ReadOnlySpan<byte> type = _type.WrittenSpan;
        Done = type.EndsWith(".done"u8);
        if (type.IsEmpty || type.SequenceEqual("response"u8))
        {
            Kind = hasOutput ? ResponsesEventKind.Body : ResponsesEventKind.Other;
        }
        else if (type.StartsWith("response.reasoning"u8))
        {
            // reasoning_text, reasoning_summary_text, reasoning_summary_part, and the older response.reasoning.delta.
            Kind = ResponsesEventKind.Reasoning;
            ReasoningDelta = type.EndsWith(".delta"u8);
            SummaryPartAdded = type.SequenceEqual("response.reasoning_summary_part.added"u8);
        }
        else if (type.StartsWith("response.output_item."u8))
        {
            Kind = Done ? ResponsesEventKind.ItemDone : ResponsesEventKind.ItemAdded;
        }
        else if (type.StartsWith("response.content_part."u8))
        {
            Kind = ResponsesEventKind.ContentPart;
        }
        else if (type.SequenceEqual("response.output_text.delta"u8))
        {
            Kind = ResponsesEventKind.TextDelta;
        }
        else if (type.SequenceEqual("response.output_text.done"u8))
        {
            Kind = ResponsesEventKind.TextDone;
        }
        else if (hasResponse)
        {
            Kind = ResponsesEventKind.ResponseObject;
        }
    }

    /// <summary>The "item" or "part" object: its type, and an item's id.</summary>
    private void ScanNested(ref Utf8JsonReader reader, bool item)
    {
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            JsonDocumentScanner.Validate(ref reader, _scratch);
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
            {
                continue;
            }

            bool type = reader.ValueTextEquals("type"u8);
            bool id = item && reader.ValueTextEquals("id"u8);
            reader.Read();
            JsonDocumentScanner.Validate(ref reader, _scratch);
            if (type && reader.TokenType == JsonTokenType.String)
            {
                // reasoning items; reasoning_text and summary_text parts.
                NestedReasoning |= reader.ValueTextEquals("reasoning"u8) || reader.ValueTextEquals("reasoning_text"u8) || reader.ValueTextEquals("summary_text"u8);
                NestedMessage |= item && reader.ValueTextEquals("message"u8);
            }
            else if (id && reader.TokenType == JsonTokenType.String && _itemId.Length == 0)
            {
                Copy(ref reader, _itemId);
            }
            else
            {
                JsonDocumentScanner.SkipValidating(ref reader, _scratch);
            }
        }
    }

    private static void Copy(ref Utf8JsonReader reader, PooledByteBuffer into)
    {
        into.Clear();
        if (!reader.ValueIsEscaped)
        {
            into.Append(reader.ValueSpan);
            return;
        }

        int written = reader.CopyString(into.GetSpan(reader.ValueSpan.Length));
        into.Advance(written);
    }
}
