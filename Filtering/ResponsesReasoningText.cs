using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Reasoning moved between a Responses body's items: merge mode collects a reasoning item's text for the start of the
/// answer; split mode writes the thought found in a message's tags as a reasoning item before that message.
/// </summary>
internal static class ResponsesReasoningText
{
    /// <summary>Merge mode: the text of the reasoning item at <paramref name="reader"/> (a copy): its reasoning_text parts, else its summary.</summary>
    public static void Collect(Utf8JsonReader reader, ResponsesState state)
    {
        Utf8JsonReader summary = default;
        bool hasSummary = false;
        bool any = false;
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
            {
                continue;
            }

            bool content = reader.ValueTextEquals("content"u8);
            bool isSummary = reader.ValueTextEquals("summary"u8);
            reader.Read();
            if (content && reader.TokenType == JsonTokenType.StartArray)
            {
                any |= CollectTexts(reader, state);
            }
            else if (isSummary && reader.TokenType == JsonTokenType.StartArray)
            {
                summary = reader;
                hasSummary = true;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        if (!any && hasSummary)
        {
            CollectTexts(summary, state);
        }
    }

    /// <summary>
    /// Split mode, bodies: the thought in the tags of the message at <paramref name="reader"/> (a copy), if any, written
    /// as a reasoning item (OpenAI's shape, as gpt-oss servers send it: summary empty, the text in a reasoning_text part).
    /// </summary>
    public static void WriteSplitItem(Utf8JsonReader reader, Utf8JsonWriter writer, ResponsesState state)
    {
        PooledByteBuffer thought = state.Thought;
        thought.Clear();
        ReadOnlySpan<byte> id = default;
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
            {
                continue;
            }

            bool isId = reader.ValueTextEquals("id"u8);
            bool content = reader.ValueTextEquals("content"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
            {
                id = reader.ValueSpan;
            }
            else if (content && reader.TokenType == JsonTokenType.StartArray)
            {
                SplitTexts(reader, state);
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }

        if (thought.Length == 0)
        {
            return;
        }

        if (!state.Streaming)
        {
            // A stream counted it in its deltas.
            state.CountThinking(JsonRewriteContext.CharCount(thought.WrittenSpan));
        }

        writer.WriteStartObject();
        writer.WriteString("id"u8, id.IsEmpty ? "rs_cot"u8 : [.. "rs_"u8, .. id]);
        writer.WriteString("type"u8, "reasoning"u8);
        writer.WriteStartArray("summary"u8);
        writer.WriteEndArray();
        writer.WriteStartArray("content"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, "reasoning_text"u8);
        writer.WritePropertyName("text"u8);
        state.WriteText(writer, thought.WrittenSpan);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        state.Changed = true;
    }

    /// <summary>Appends each part's "text" of the array at <paramref name="reader"/> (a copy) to the merged reasoning; true when one had text.</summary>
    private static bool CollectTexts(Utf8JsonReader reader, ResponsesState state)
    {
        bool any = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                bool text = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (text && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
                {
                    if (state.Merged.Length > 0)
                    {
                        state.CollectMerged("\n\n"u8);
                    }

                    state.CollectMerged(state.Decode(ref reader));
                    any = true;
                }

                reader.Skip();
            }
        }

        return any;
    }

    /// <summary>Filters each output_text part of a message's content (a copy) for its thought, into <see cref="ResponsesState.Thought"/>.</summary>
    private static void SplitTexts(Utf8JsonReader reader, ResponsesState state)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || !ResponsesOutputWriter.HasType(reader, "output_text"u8))
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                bool text = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (text && reader.TokenType == JsonTokenType.String)
                {
                    state.FilterWhole(state.Decode(ref reader), mergeTarget: false, count: false);
                }

                reader.Skip();
            }
        }
    }
}
