using System.Buffers.Text;

namespace CotProxy.Filtering;

/// <summary>
/// Writes whole SSE events of the Messages API, each named by its type as Anthropic names them ("event: X" then
/// "data: {...}", see its "Streaming messages" docs): an upstream event with another index spliced in, or a block's
/// start, delta or stop the filter makes.
/// </summary>
internal static class MessagesEventWriter
{
    public static ReadOnlySpan<byte> NameOf(MessagesEventType type) => type switch
    {
        MessagesEventType.MessageStart => "message_start"u8,
        MessagesEventType.ContentBlockStart => "content_block_start"u8,
        MessagesEventType.ContentBlockDelta => "content_block_delta"u8,
        MessagesEventType.ContentBlockStop => "content_block_stop"u8,
        MessagesEventType.MessageDelta => "message_delta"u8,
        MessagesEventType.MessageStop => "message_stop"u8,
        MessagesEventType.Ping => "ping"u8,
        MessagesEventType.Error => "error"u8,
        _ => default,
    };

    /// <summary>The upstream's event as it came, under its own name (an unknown type keeps its type's text; none: no event line).</summary>
    public static void AsItCame(PooledByteBuffer output, ReadOnlySpan<byte> json, in MessagesEvent e)
    {
        ReadOnlySpan<byte> name = NameOf(e.Type);
        if (name.IsEmpty && e.TypeAt >= 0 && e.TypeLength > 2 && json.Slice(e.TypeAt + 1, e.TypeLength - 2).IndexOfAny("\\\r\n"u8) < 0)
        {
            name = json.Slice(e.TypeAt + 1, e.TypeLength - 2);
        }

        if (name.IsEmpty)
        {
            output.Append("data: "u8);
        }
        else
        {
            Begin(output, name);
        }

        output.Append(json);
        output.Append("\n\n"u8);
    }

    /// <summary>The upstream's event with its "index" number replaced by <paramref name="index"/>.</summary>
    public static void WithIndex(PooledByteBuffer output, ReadOnlySpan<byte> json, in MessagesEvent e, int index)
    {
        Begin(output, NameOf(e.Type));
        output.Append(json[..e.IndexAt]);
        WriteNumber(output, index);
        output.Append(json[(e.IndexAt + e.IndexLength)..]);
        output.Append("\n\n"u8);
    }

    /// <summary>The upstream's event with the string token at <paramref name="at"/> replaced by <paramref name="quoted"/>.</summary>
    public static void WithString(PooledByteBuffer output, ReadOnlySpan<byte> json, MessagesEventType type, int at, int length, ReadOnlySpan<byte> quoted)
    {
        Begin(output, NameOf(type));
        output.Append(json[..at]);
        output.Append(quoted);
        output.Append(json[(at + length)..]);
        output.Append("\n\n"u8);
    }

    /// <summary>A text_delta (or thinking_delta) carrying <paramref name="text"/> (unescaped UTF-8).</summary>
    public static void Delta(PooledByteBuffer output, int index, ReadOnlySpan<byte> text, bool thinking)
    {
        DeltaHead(output, index, thinking);
        JsonStringEscaper.WriteQuoted(text, output);
        output.Append("}}\n\n"u8);
    }

    /// <summary>A text_delta whose text is <paramref name="head"/> then <paramref name="raw"/>, both already escaped, without quotes.</summary>
    public static void RawTextDelta(PooledByteBuffer output, int index, ReadOnlySpan<byte> head, ReadOnlySpan<byte> raw)
    {
        DeltaHead(output, index, thinking: false);
        output.Append("\""u8);
        output.Append(head);
        output.Append(raw);
        output.Append("\"}}\n\n"u8);
    }

    /// <summary>A text block's start whose text is <paramref name="head"/> then <paramref name="raw"/>, both already escaped.</summary>
    public static void TextStart(PooledByteBuffer output, int index, ReadOnlySpan<byte> head, ReadOnlySpan<byte> raw)
    {
        Begin(output, "content_block_start"u8);
        output.Append("{\"type\":\"content_block_start\",\"index\":"u8);
        WriteNumber(output, index);
        output.Append(",\"content_block\":{\"type\":\"text\",\"text\":\""u8);
        output.Append(head);
        output.Append(raw);
        output.Append("\"}}\n\n"u8);
    }

    /// <summary>
    /// A thinking block's start, for thought the filter found in tags: its signature is empty, as no server signed it (a
    /// client that sends it back to Anthropic itself would be refused; a server that left tags in text does not check).
    /// </summary>
    public static void ThinkingStart(PooledByteBuffer output, int index)
    {
        Begin(output, "content_block_start"u8);
        output.Append("{\"type\":\"content_block_start\",\"index\":"u8);
        WriteNumber(output, index);
        output.Append(",\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"u8);
    }

    public static void Stop(PooledByteBuffer output, int index)
    {
        Begin(output, "content_block_stop"u8);
        output.Append("{\"type\":\"content_block_stop\",\"index\":"u8);
        WriteNumber(output, index);
        output.Append("}\n\n"u8);
    }

    /// <summary>UTF-8 text as a JSON string literal, quotes included (built once, for a name or a tag).</summary>
    public static byte[] Quoted(ReadOnlySpan<byte> utf8)
    {
        using var quoted = new PooledByteBuffer(utf8.Length + 2);
        JsonStringEscaper.WriteQuoted(utf8, quoted);
        return quoted.WrittenSpan.ToArray();
    }

    /// <summary>UTF-8 text escaped for a JSON string, without its quotes.</summary>
    public static byte[] Escaped(ReadOnlySpan<byte> utf8) => Quoted(utf8)[1..^1];

    private static void DeltaHead(PooledByteBuffer output, int index, bool thinking)
    {
        Begin(output, "content_block_delta"u8);
        output.Append("{\"type\":\"content_block_delta\",\"index\":"u8);
        WriteNumber(output, index);
        output.Append(thinking ? ",\"delta\":{\"type\":\"thinking_delta\",\"thinking\":"u8 : ",\"delta\":{\"type\":\"text_delta\",\"text\":"u8);
    }

    private static void Begin(PooledByteBuffer output, ReadOnlySpan<byte> name)
    {
        output.Append("event: "u8);
        output.Append(name);
        output.Append("\ndata: "u8);
    }

    private static void WriteNumber(PooledByteBuffer output, int value)
    {
        Span<byte> digits = output.GetSpan(11);
        Utf8Formatter.TryFormat(value, digits, out int written);
        output.Advance(written);
    }
}
