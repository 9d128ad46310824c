using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Merge mode, streams: the server's reasoning sent as it comes, as the output_text of a message placed where the
/// reasoning item was ("&lt;think&gt;" + its deltas). The message is made up (output_item.added and content_part.added
/// written here, its id "msg_" + the reasoning item's); when the upstream's message follows, it becomes that message:
/// its own added events are dropped, "&lt;/think&gt;" goes before its first text and its id is replaced by the made-up one
/// in every later event. When a tool call or the response's end comes first, the made-up message is closed on its own
/// (output_text.done, content_part.done, output_item.done with the whole text).
/// </summary>
internal sealed class ResponsesMergeStream : IDisposable
{
    private readonly ResponseFraming _framing;
    private readonly ResponsesEventBuilder _events = new();

    public ResponsesMergeStream(ResponseFraming framing) => _framing = framing;

    /// <summary>The made-up message's id (empty until it opens).</summary>
    public byte[] Id { get; private set; } = [];

    /// <summary>The made-up message's output_index (-1: none opened).</summary>
    public int Index { get; private set; } = -1;

    /// <summary>The made-up message was closed on its own (no upstream message took it over).</summary>
    public bool Closed { get; private set; }

    /// <summary>The whole text of the made-up message, once closed on its own.</summary>
    public PooledByteBuffer Text { get; } = new();

    /// <summary>One upstream event rewritten on its own, before it is framed among the others.</summary>
    public PooledByteBuffer One { get; } = new();

    /// <summary>The client's sequence_number for the next event written (-1: the stream has none).</summary>
    public long Next { get; set; } = -1;

    /// <summary>Events written since <see cref="Next"/> was set.</summary>
    public int Written { get; set; }

    public bool Live => Index >= 0;

    public bool EventStream => _framing == ResponseFraming.EventStream;

    /// <summary>Opens the made-up message: output_item.added and content_part.added.</summary>
    public void Open(ResponsesState state, ReadOnlySpan<byte> reasoningId, PooledByteBuffer output)
    {
        Index = state.TakeClientIndex();
        Id = reasoningId.IsEmpty ? "msg_cot"u8.ToArray() : [.. "msg_"u8, .. reasoningId];
        Utf8JsonWriter writer = Start("response.output_item.added"u8);
        writer.WriteNumber("output_index"u8, Index);
        writer.WritePropertyName("item"u8);
        WriteItem(writer, state, default, done: false);
        End(writer, output, "response.output_item.added"u8);

        writer = Start("response.content_part.added"u8);
        WriteAddress(writer);
        writer.WritePropertyName("part"u8);
        WritePart(writer, state, default);
        End(writer, output, "response.content_part.added"u8);
    }

    /// <summary>A piece of the message's text: output_text.delta.</summary>
    public void Delta(ResponsesState state, ReadOnlySpan<byte> text, PooledByteBuffer output)
    {
        Utf8JsonWriter writer = Start("response.output_text.delta"u8);
        WriteAddress(writer);
        writer.WritePropertyName("delta"u8);
        state.WriteText(writer, text);
        writer.WriteStartArray("logprobs"u8);
        writer.WriteEndArray();
        End(writer, output, "response.output_text.delta"u8);
    }

    /// <summary>Ends the made-up message on its own: "&lt;/think&gt;", output_text.done, content_part.done, output_item.done.</summary>
    public void Close(ResponsesState state, PooledByteBuffer output)
    {
        Delta(state, ResponseRewriteOptions.MergeEndUtf8, output);
        Text.Clear();
        Text.Append(ResponseRewriteOptions.MergeStartUtf8);
        Text.Append(state.Merged.WrittenSpan);
        Text.Append(ResponseRewriteOptions.MergeEndUtf8);
        ReadOnlySpan<byte> text = Text.WrittenSpan;

        Utf8JsonWriter writer = Start("response.output_text.done"u8);
        WriteAddress(writer);
        writer.WritePropertyName("text"u8);
        state.WriteText(writer, text);
        writer.WriteStartArray("logprobs"u8);
        writer.WriteEndArray();
        End(writer, output, "response.output_text.done"u8);

        writer = Start("response.content_part.done"u8);
        WriteAddress(writer);
        writer.WritePropertyName("part"u8);
        WritePart(writer, state, text);
        End(writer, output, "response.content_part.done"u8);

        writer = Start("response.output_item.done"u8);
        writer.WriteNumber("output_index"u8, Index);
        writer.WritePropertyName("item"u8);
        WriteItem(writer, state, text, done: true);
        End(writer, output, "response.output_item.done"u8);
        Closed = true;
    }

    /// <summary>The made-up message closed on its own, as a response object's output item.</summary>
    public void WriteClosedItem(Utf8JsonWriter writer, ResponsesState state) => WriteItem(writer, state, Text.WrittenSpan, done: true);

    /// <summary>Appends one document to the events written in place of the upstream's.</summary>
    public void Append(PooledByteBuffer output, ReadOnlySpan<byte> json)
    {
        ResponsesSplitStream.Frame(_framing, output, json);
        Written++;
    }

    public void Dispose()
    {
        _events.Dispose();
        Text.Dispose();
        One.Dispose();
    }

    private Utf8JsonWriter Start(ReadOnlySpan<byte> type) => _events.Start(type);

    private void End(Utf8JsonWriter writer, PooledByteBuffer output, ReadOnlySpan<byte> type)
    {
        ResponsesSplitStream.Frame(_framing, output, _events.End(writer, Next >= 0 ? Next++ : -1), type);
        Written++;
    }

    private void WriteAddress(Utf8JsonWriter writer)
    {
        writer.WriteString("item_id"u8, Id);
        writer.WriteNumber("output_index"u8, Index);
        writer.WriteNumber("content_index"u8, 0);
    }

    private static void WritePart(Utf8JsonWriter writer, ResponsesState state, ReadOnlySpan<byte> text)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "output_text"u8);
        writer.WriteStartArray("annotations"u8);
        writer.WriteEndArray();
        writer.WritePropertyName("text"u8);
        state.WriteText(writer, text);
        writer.WriteEndObject();
    }

    /// <summary>The message item, as OpenAI writes one.</summary>
    private void WriteItem(Utf8JsonWriter writer, ResponsesState state, ReadOnlySpan<byte> text, bool done)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, Id);
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("status"u8, done ? "completed"u8 : "in_progress"u8);
        writer.WriteString("role"u8, "assistant"u8);
        writer.WriteStartArray("content"u8);
        if (done)
        {
            WritePart(writer, state, text);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
