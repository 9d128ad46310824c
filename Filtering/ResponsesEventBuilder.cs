using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Builds the Responses API events the filter makes itself (a split stream's reasoning item, a merge stream's made-up
/// message): one JSON object at a time, its type first and its sequence_number last, in a buffer reused per event.
/// </summary>
internal sealed class ResponsesEventBuilder : IDisposable
{
    private readonly PooledByteBuffer _json = new();
    private Utf8JsonWriter? _writer;

    /// <summary>Starts an event of <paramref name="type"/>; write its other properties, then <see cref="End"/>.</summary>
    public Utf8JsonWriter Start(ReadOnlySpan<byte> type)
    {
        _json.Clear();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(_json, JsonOutput.UncheckedOptions);
        writer.Reset(_json);
        writer.WriteStartObject();
        writer.WriteString("type"u8, type);
        return writer;
    }

    /// <summary>Ends the event with its <paramref name="sequence"/> number (none when negative) and returns its JSON.</summary>
    public ReadOnlySpan<byte> End(Utf8JsonWriter writer, long sequence)
    {
        if (sequence >= 0)
        {
            writer.WriteNumber("sequence_number"u8, sequence);
        }

        writer.WriteEndObject();
        writer.Flush();
        return _json.WrittenSpan;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _json.Dispose();
    }
}
