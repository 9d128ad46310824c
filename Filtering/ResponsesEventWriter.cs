using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// The full path for one Responses API event: its sequence_number and output_index renumbered for what the client was
/// sent, its text filtered (a delta's, a done event's, a part's, an item's, a response object's).
/// </summary>
internal static class ResponsesEventWriter
{
    /// <param name="json">The event, already scanned (<see cref="ResponsesState.Scanner"/>).</param>
    /// <param name="writer">Where the event goes.</param>
    /// <param name="state">The response's filter state.</param>
    /// <param name="item">The item the event belongs to, if any.</param>
    /// <param name="delta">A text delta's filtered text, when it changed; else null.</param>
    /// <param name="mergeTarget">Merge mode: the event's text is the one the collected reasoning goes before.</param>
    public static void Write(ReadOnlySpan<byte> json, Utf8JsonWriter writer, ResponsesState state, ResponsesItem? item, PooledByteBuffer? delta, bool mergeTarget)
    {
        ResponsesEventKind kind = state.Scanner.Kind;
        var reader = new Utf8JsonReader(json);
        reader.Read();
        if (kind == ResponsesEventKind.Body)
        {
            ResponsesOutputWriter.WriteResponse(ref reader, writer, state);
            return;
        }

        // Merge mode, streams: the upstream message became the made-up one the reasoning streamed in (ResponsesMergeStream).
        ReadOnlySpan<byte> id = state.Renames(item) ? state.MergeStream!.Id : default;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            Utf8JsonReader name = reader;
            JsonTokenCopier.WriteToken(ref reader, writer);
            reader.Read();
            if (name.ValueTextEquals("sequence_number"u8) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long sequence))
            {
                writer.WriteNumberValue(sequence + state.SequenceShift);
                state.Changed |= state.SequenceShift != 0;
            }
            else if (name.ValueTextEquals("output_index"u8) && reader.TokenType == JsonTokenType.Number && item is { ClientIndex: >= 0 } shown
                && reader.TryGetInt32(out int index))
            {
                writer.WriteNumberValue(shown.ClientIndex);
                state.Changed |= index != shown.ClientIndex;
            }
            else if (!id.IsEmpty && name.ValueTextEquals("item_id"u8) && reader.TokenType == JsonTokenType.String)
            {
                writer.WriteStringValue(id);
                state.Changed = true;
            }
            else if (delta is not null && name.ValueTextEquals("delta"u8) && reader.TokenType == JsonTokenType.String)
            {
                state.WriteText(writer, delta.WrittenSpan);
                state.Changed = true;
            }
            else if (delta is not null && name.ValueTextEquals("logprobs"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                // The logprobs of hidden tokens go with them: a delta whose text the filter changed keeps none.
                reader.Skip();
                writer.WriteStartArray();
                writer.WriteEndArray();
            }
            else if (kind == ResponsesEventKind.TextDone && name.ValueTextEquals("text"u8) && reader.TokenType == JsonTokenType.String && state.Options.FiltersThinking)
            {
                ResponsesOutputWriter.WriteFilteredText(ref reader, writer, state, mergeTarget);
            }
            else if (kind == ResponsesEventKind.ContentPart && name.ValueTextEquals("part"u8) && state.Options.FiltersThinking)
            {
                ResponsesOutputWriter.WritePart(ref reader, writer, state, mergeTarget);
            }
            else if (kind is ResponsesEventKind.ItemAdded or ResponsesEventKind.ItemDone && name.ValueTextEquals("item"u8)
                && reader.TokenType == JsonTokenType.StartObject && item is { Message: true } && state.Options.FiltersThinking)
            {
                ResponsesOutputWriter.WriteMessage(ref reader, writer, state, mergeTarget, id);
            }
            else if (kind == ResponsesEventKind.ResponseObject && name.ValueTextEquals("response"u8) && reader.TokenType == JsonTokenType.StartObject)
            {
                ResponsesOutputWriter.WriteResponse(ref reader, writer, state);
            }
            else
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        writer.WriteEndObject();
    }
}
