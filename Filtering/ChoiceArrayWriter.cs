using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>Writes the "choices" array: each choice's delta/message, its "text" and its finish_reason.</summary>
internal static class ChoiceArrayWriter
{
    /// <summary>The reader is on the array's start.</summary>
    public static void Write(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        writer.WriteStartArray();
        int ordinal = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
                ordinal++;
                continue;
            }

            (int index, bool finishing) = context.Scanner.Elements[ordinal++];
            ChoiceFilterState choice = context.GetChoice(index);
            WriteChoice(ref reader, writer, context, choice, finishing);
            if (finishing && context.Streaming)
            {
                choice.Finished = true;
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteChoice(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context, ChoiceFilterState choice, bool finishing)
    {
        writer.WriteStartObject();
        PooledByteBuffer thinking = context.ThinkChoice;
        thinking.Clear();
        context.ContentTrack.Reset();
        context.TextTrack.Reset();
        bool sawText = false;
        bool sawContainer = false;
        Utf8JsonReader logprobs = default;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            // Inside a stream, message.content is cumulative (Perplexity repeats it in every chunk):
            // each occurrence is filtered as a whole text.
            bool cumulative = reader.ValueTextEquals("message"u8);
            bool container = cumulative || reader.ValueTextEquals("delta"u8);
            sawContainer |= container;
            bool text = !container && reader.ValueTextEquals("text"u8);
            bool finish = !container && !text && reader.ValueTextEquals("finish_reason"u8);
            if (context.TracksLogprobs && !container && !text && !finish && reader.ValueTextEquals("logprobs"u8))
            {
                Utf8JsonReader name = reader;
                reader.Read();
                if (!sawContainer && !sawText && reader.TokenType == JsonTokenType.StartObject)
                {
                    // Before the text it belongs to: written after the choice's other properties, once that text is filtered.
                    logprobs = reader;
                    reader.Skip();
                    continue;
                }

                context.CopyPropertyName(ref name, writer);
                LogprobsWriter.Write(ref reader, writer, context);
                continue;
            }

            context.CopyPropertyName(ref reader, writer);
            reader.Read();
            if (container && reader.TokenType == JsonTokenType.StartObject)
            {
                MessageContainerWriter.Write(ref reader, writer, context, cumulative ? null : choice, finishing, context.Options.ReasoningFieldUtf8);
            }
            else if (text && reader.TokenType == JsonTokenType.String)
            {
                sawText = true;
                AnswerTextFilter.Filter(ref reader, writer, context, context.Streaming ? choice.Text : null, finishing, thinking, track: context.TextTrack);
            }
            else if (text)
            {
                AnswerTextFilter.CopyOtherShape(ref reader, writer, context, context.Streaming ? choice.Text : null, context.TextTrack);
            }
            else
            {
                context.Payload |= finish && reader.TokenType != JsonTokenType.Null;
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        if (finishing && context.Streaming && !sawText && choice.HasText)
        {
            AnswerTextFilter.WriteReleased(writer, context, choice.Text, "text"u8, thinking);
        }

        if (finishing && context.Streaming && choice.ReasoningOpen && !sawContainer)
        {
            // Merge mode: a choice that finishes with no delta closes its reasoning in one of its own.
            context.SetReasoningOpen(choice, false);
            writer.WriteStartObject("delta"u8);
            writer.WritePropertyName("content"u8);
            context.WriteText(writer, ResponseRewriteOptions.MergeEndUtf8);
            writer.WriteEndObject();
            context.Changed = true;
            context.Visible = true;
        }

        if (logprobs.TokenType != JsonTokenType.None)
        {
            writer.WritePropertyName("logprobs"u8);
            LogprobsWriter.Write(ref logprobs, writer, context);
        }

        ReasoningFields.WriteCollected(writer, context, context.Options.ReasoningFieldUtf8, thinking);
        writer.WriteEndObject();
    }
}
