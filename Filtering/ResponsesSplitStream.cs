using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Split mode, streams: the thought a message's output_text opens with, sent as the events of a reasoning item placed
/// before the message (as vLLM and OpenRouter stream gpt-oss's: output_item.added, reasoning_text.delta …,
/// reasoning_text.done, output_item.done). The message's output_item.added and content_part.added are held until its
/// first text shows whether a thought opens (start-anchored tags: only at the start can one); the reasoning item then
/// takes the message's output_index, the message moving up by one, and its deltas carry the thought as it comes. The
/// first answer text (or any other event) ends the reasoning item and releases the held events, before itself.
/// </summary>
internal sealed class ResponsesSplitStream : IDisposable
{
    private readonly ResponseFraming _framing;
    private readonly PooledByteBuffer _held = new();
    private readonly List<(int Start, int Length, long Sequence)> _heldEvents = [];
    private readonly ResponsesEventBuilder _events = new();
    private byte[] _reasoningId = [];

    public ResponsesSplitStream(ResponseFraming framing) => _framing = framing;

    /// <summary>Several documents go out as SSE events (else as JSON lines).</summary>
    public bool EventStream => _framing == ResponseFraming.EventStream;

    /// <summary>The message whose first events are held (null: none).</summary>
    public ResponsesItem? Target { get; private set; }

    /// <summary>The content index of the target's text that decides (-1 until its first delta).</summary>
    public int ContentIndex { get; set; } = -1;

    /// <summary>The output_index of the reasoning item under way (-1: none).</summary>
    public int ReasoningIndex { get; private set; } = -1;

    /// <summary>The thought sent in the reasoning item's deltas (its done event's text).</summary>
    public PooledByteBuffer Sent { get; } = new();

    /// <summary>The answer text of the delta being written.</summary>
    public PooledByteBuffer Answer { get; } = new();

    /// <summary>One upstream event rewritten on its own, before it is framed among the others.</summary>
    public PooledByteBuffer One { get; } = new();

    /// <summary>The client's sequence_number for the next event written (-1: the stream has none).</summary>
    public long Next { get; set; } = -1;

    /// <summary>The held events, in order: their bytes and upstream sequence_number (-1: none).</summary>
    public int HeldCount => _heldEvents.Count;

    public bool Holding => Target is not null;

    public void Hold(ResponsesItem message, ReadOnlySpan<byte> json, long sequence)
    {
        Target = message;
        _heldEvents.Add((_held.Length, json.Length, sequence));
        _held.Append(json);
    }

    public ReadOnlySpan<byte> Held(int i, out long sequence)
    {
        (int start, int length, sequence) = _heldEvents[i];
        return _held.WrittenSpan.Slice(start, length);
    }

    /// <summary>Nothing held any more (the held events were written).</summary>
    public void Clear()
    {
        Target = null;
        ContentIndex = -1;
        ReasoningIndex = -1;
        _held.Clear();
        _heldEvents.Clear();
        Sent.Clear();
    }

    /// <summary>Opens the reasoning item before the target: output_item.added.</summary>
    public void Open(ResponsesState state, PooledByteBuffer output)
    {
        ReasoningIndex = state.InsertBefore(Target!);
        // The body's reasoning item is named the same (ResponsesReasoningText.WriteSplitItem).
        _reasoningId = Target!.Id.Length == 0 ? "rs_cot"u8.ToArray() : [.. "rs_"u8, .. Target.Id];
        Utf8JsonWriter writer = Start("response.output_item.added"u8);
        writer.WriteNumber("output_index"u8, ReasoningIndex);
        writer.WritePropertyName("item"u8);
        WriteItem(writer, state, done: false);
        End(writer, output, "response.output_item.added"u8);
    }

    /// <summary>A piece of the thought: reasoning_text.delta.</summary>
    public void Delta(ResponsesState state, ReadOnlySpan<byte> thought, PooledByteBuffer output)
    {
        Sent.Append(thought);
        Utf8JsonWriter writer = Start("response.reasoning_text.delta"u8);
        WriteAddress(writer);
        writer.WritePropertyName("delta"u8);
        state.WriteText(writer, thought);
        End(writer, output, "response.reasoning_text.delta"u8);
    }

    /// <summary>The reasoning item ends: reasoning_text.done and output_item.done.</summary>
    public void Close(ResponsesState state, PooledByteBuffer output)
    {
        Utf8JsonWriter writer = Start("response.reasoning_text.done"u8);
        WriteAddress(writer);
        writer.WritePropertyName("text"u8);
        state.WriteText(writer, Sent.WrittenSpan);
        End(writer, output, "response.reasoning_text.done"u8);

        writer = Start("response.output_item.done"u8);
        writer.WriteNumber("output_index"u8, ReasoningIndex);
        writer.WritePropertyName("item"u8);
        WriteItem(writer, state, done: true);
        End(writer, output, "response.output_item.done"u8);
        ReasoningIndex = -1;
    }

    /// <summary>Appends one document to the events written in place of the upstream's: an SSE event named by its type, or a JSON line.</summary>
    public void Append(PooledByteBuffer output, ReadOnlySpan<byte> json) => Frame(_framing, output, json);

    /// <summary>Appends one document framed as <paramref name="framing"/> wants (also merge mode's, <see cref="ResponsesMergeStream"/>).</summary>
    internal static void Frame(ResponseFraming framing, PooledByteBuffer output, ReadOnlySpan<byte> json) =>
        Frame(framing, output, json, framing == ResponseFraming.EventStream ? TypeOf(json) : default);

    /// <summary>As <see cref="Frame(ResponseFraming, PooledByteBuffer, ReadOnlySpan{byte})"/>, for an event whose <paramref name="type"/> is known.</summary>
    internal static void Frame(ResponseFraming framing, PooledByteBuffer output, ReadOnlySpan<byte> json, ReadOnlySpan<byte> type)
    {
        if (framing != ResponseFraming.EventStream)
        {
            if (output.Length > 0)
            {
                output.Append("\n"u8);
            }

            output.Append(json);
            return;
        }

        if (!type.IsEmpty)
        {
            output.Append("event: "u8);
            output.Append(type);
            output.Append("\n"u8);
        }

        // An event's data may have come in several lines (joined with LF, WHATWG HTML §9.2.6): each goes in a data line of its own.
        ReadOnlySpan<byte> rest = json;
        int newline;
        while ((newline = rest.IndexOf((byte)'\n')) >= 0)
        {
            output.Append("data: "u8);
            output.Append(rest[..newline]);
            output.Append("\n"u8);
            rest = rest[(newline + 1)..];
        }

        output.Append("data: "u8);
        output.Append(rest);
        output.Append("\n\n"u8);
    }

    public void Dispose()
    {
        _events.Dispose();
        _held.Dispose();
        Sent.Dispose();
        Answer.Dispose();
        One.Dispose();
    }

    /// <summary>The document's "type" when it is a plain string at its top level; else empty (the event goes without an event line).</summary>
    private static ReadOnlySpan<byte> TypeOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool type = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (type)
            {
                return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped ? reader.ValueSpan : default;
            }

            reader.Skip();
        }

        return default;
    }

    private Utf8JsonWriter Start(ReadOnlySpan<byte> type) => _events.Start(type);

    private void End(Utf8JsonWriter writer, PooledByteBuffer output, ReadOnlySpan<byte> type) =>
        Frame(_framing, output, _events.End(writer, Next >= 0 ? Next++ : -1), type);

    private void WriteAddress(Utf8JsonWriter writer)
    {
        WriteId(writer);
        writer.WriteNumber("output_index"u8, ReasoningIndex);
        writer.WriteNumber("content_index"u8, 0);
    }

    private void WriteId(Utf8JsonWriter writer, bool item = false) => writer.WriteString(item ? "id"u8 : "item_id"u8, _reasoningId);

    /// <summary>The reasoning item, as gpt-oss servers write one: summary empty, the text in a reasoning_text part once done.</summary>
    private void WriteItem(Utf8JsonWriter writer, ResponsesState state, bool done)
    {
        writer.WriteStartObject();
        WriteId(writer, item: true);
        writer.WriteString("type"u8, "reasoning"u8);
        writer.WriteStartArray("summary"u8);
        writer.WriteEndArray();
        writer.WriteStartArray("content"u8);
        if (done)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "reasoning_text"u8);
            writer.WritePropertyName("text"u8);
            state.WriteText(writer, Sent.WrittenSpan);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
