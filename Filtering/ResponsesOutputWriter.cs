using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Writes the parts of the Responses API that hold text: a response object (a whole body, or the "response" of a
/// response.created / completed event) with its "output" items, a message item and its content parts. Reasoning items
/// are removed in strip and merge mode (merge collects their text for the start of the answer); think tags in output_text
/// are filtered; in split mode a body's tagged thought becomes a reasoning item before its message.
/// </summary>
internal static class ResponsesOutputWriter
{
    /// <summary>The reader is on the response object's start.</summary>
    public static void WriteResponse(ref Utf8JsonReader reader, Utf8JsonWriter writer, ResponsesState state)
    {
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            Utf8JsonReader name = reader;
            JsonTokenCopier.WriteToken(ref reader, writer);
            reader.Read();
            if (name.ValueTextEquals("model"u8) && state.Options.ClientModelNameUtf8 is { } model && reader.TokenType == JsonTokenType.String)
            {
                state.Changed |= reader.ValueIsEscaped || !reader.ValueSpan.SequenceEqual(model);
                state.WriteText(writer, model);
            }
            else if (name.ValueTextEquals("output"u8) && reader.TokenType == JsonTokenType.StartArray && state.Options.FiltersThinking)
            {
                WriteOutput(ref reader, writer, state);
            }
            else if (name.ValueTextEquals("output_text"u8) && reader.TokenType == JsonTokenType.String && state.Options.FiltersThinking)
            {
                // The SDKs' convenience field: the output_text parts joined.
                WriteFilteredText(ref reader, writer, state, mergeTarget: state.Mode == ThinkMode.Merge && reader.ValueSpan.Length > 0);
            }
            else
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>A message item (the reader on its start): its output_text parts filtered, the first one carrying merge mode's reasoning when <paramref name="mergeTarget"/>; in a merge-mode stream it takes the made-up message's <paramref name="id"/> when one is given.</summary>
    public static void WriteMessage(ref Utf8JsonReader reader, Utf8JsonWriter writer, ResponsesState state, bool mergeTarget, ReadOnlySpan<byte> id = default)
    {
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            Utf8JsonReader name = reader;
            JsonTokenCopier.WriteToken(ref reader, writer);
            reader.Read();
            if (!id.IsEmpty && name.ValueTextEquals("id"u8) && reader.TokenType == JsonTokenType.String)
            {
                writer.WriteStringValue(id);
                state.Changed = true;
                continue;
            }

            if (!name.ValueTextEquals("content"u8) || reader.TokenType != JsonTokenType.StartArray)
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            writer.WriteStartArray();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                mergeTarget &= !WritePart(ref reader, writer, state, mergeTarget);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>A content part (the reader on it); returns true when it was an output_text (the one merge mode's reasoning goes into).</summary>
    public static bool WritePart(ref Utf8JsonReader reader, Utf8JsonWriter writer, ResponsesState state, bool mergeTarget)
    {
        if (reader.TokenType != JsonTokenType.StartObject || !IsOutputText(reader))
        {
            JsonTokenCopier.CopyValue(ref reader, writer);
            return false;
        }

        writer.WriteStartObject();
        bool changed = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            Utf8JsonReader name = reader;
            JsonTokenCopier.WriteToken(ref reader, writer);
            reader.Read();
            if (name.ValueTextEquals("text"u8) && reader.TokenType == JsonTokenType.String)
            {
                changed = WriteFilteredText(ref reader, writer, state, mergeTarget);
            }
            else if (name.ValueTextEquals("logprobs"u8) && reader.TokenType == JsonTokenType.StartArray && (changed || PartTextChanges(reader, state, mergeTarget)))
            {
                // The logprobs of hidden tokens go with them: a part whose text the filter changed keeps none.
                reader.Skip();
                writer.WriteStartArray();
                writer.WriteEndArray();
                state.Changed = true;
            }
            else
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        state.Changed |= changed;
        writer.WriteEndObject();
        return true;
    }

    /// <summary>Writes the string at the reader filtered as a whole text; true when it changed.</summary>
    public static bool WriteFilteredText(ref Utf8JsonReader reader, Utf8JsonWriter writer, ResponsesState state, bool mergeTarget)
    {
        ReadOnlySpan<byte> text = state.Decode(ref reader);
        ReadOnlySpan<byte> result = state.FilterWhole(text, mergeTarget && (!text.IsEmpty || state.MergeStream is { Live: true }));
        if (result.SequenceEqual(text))
        {
            JsonTokenCopier.CopyValue(ref reader, writer);
            return false;
        }

        state.WriteText(writer, result);
        state.Changed = true;
        return true;
    }

    /// <summary>The output array (the reader on its start).</summary>
    private static void WriteOutput(ref Utf8JsonReader reader, Utf8JsonWriter writer, ResponsesState state)
    {
        writer.WriteStartArray();
        // Merge mode, streams: the made-up message the reasoning streamed in, closed on its own or taken over by the first message.
        ResponsesMergeStream? live = state.MergeStream is { Live: true } stream ? stream : null;
        bool merge = state.Mode == ThinkMode.Merge && live is not { Closed: true };
        bool firstMessage = true;
        bool closedWritten = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            if (state.HidesReasoningItems && HasType(reader, "reasoning"u8))
            {
                if (merge && firstMessage && !state.Streaming)
                {
                    ResponsesReasoningText.Collect(reader, state);
                }
                else if (live is { Closed: true } && !closedWritten)
                {
                    // In the reasoning item's place, as its events were sent.
                    live.WriteClosedItem(writer, state);
                    closedWritten = true;
                }

                reader.Skip();
                state.Changed = true;
            }
            else if (HasType(reader, "message"u8))
            {
                if (state.Mode == ThinkMode.Split)
                {
                    // In a stream too: the response objects carry the reasoning item its events sent (ResponsesSplitStream).
                    ResponsesReasoningText.WriteSplitItem(reader, writer, state);
                }

                WriteMessage(ref reader, writer, state, merge && firstMessage, merge && firstMessage && live is not null ? live.Id : default);
                firstMessage = false;
            }
            else
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>Whether the object at <paramref name="reader"/> (a copy) has the "type" <paramref name="type"/>, escaped or not.</summary>
    internal static bool HasType(Utf8JsonReader reader, ReadOnlySpan<byte> type)
    {
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.String && reader.ValueTextEquals(type);
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        return false;
    }

    private static bool IsOutputText(Utf8JsonReader reader) => HasType(reader, "output_text"u8);

    /// <summary>Whether the part's "text" (read ahead from a copy of the reader) changes when filtered.</summary>
    private static bool PartTextChanges(Utf8JsonReader reader, ResponsesState state, bool mergeTarget)
    {
        reader.Skip();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            bool text = reader.ValueTextEquals("text"u8);
            reader.Read();
            if (text && reader.TokenType == JsonTokenType.String)
            {
                ReadOnlySpan<byte> value = state.Decode(ref reader);
                return !state.FilterWhole(value, mergeTarget && (!value.IsEmpty || state.MergeStream is { Live: true }), count: false).SequenceEqual(value);
            }

            reader.Skip();
        }

        return false;
    }
}
