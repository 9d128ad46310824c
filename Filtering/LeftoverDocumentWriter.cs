using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// A stream ended without a finish_reason (or Ollama "done": true): completes every unfinished
/// choice and writes the text its filter still held as one last document, in the stream's own shape.
/// </summary>
internal static class LeftoverDocumentWriter
{
    /// <summary>Writes the leftover document; returns false (and writes nothing) when nothing was held.</summary>
    public static bool TryWrite(Utf8JsonWriter writer, JsonRewriteContext context)
    {
        PooledByteBuffer content = context.FieldOut;
        PooledByteBuffer text = context.Scratch;
        PooledByteBuffer thinking = context.ThinkContainer;
        bool any = false;
        bool ollama = false;
        bool ollamaResponse = false;
        foreach (ChoiceFilterState choice in context.Choices)
        {
            // Merge mode: a choice whose finish came in a shape that could not take the end tag still gets it here.
            if (choice.Finished && !choice.ReasoningOpen)
            {
                continue;
            }

            choice.Finished = true;
            if (choice.Index == ChoiceFilterState.OllamaIndex)
            {
                ollama = true;
                ollamaResponse = choice.OllamaUsesResponse;
            }

            thinking.Clear();
            content.Clear();
            text.Clear();
            if (choice.ReasoningOpen)
            {
                // Merge mode: the stream ended inside separated reasoning, whose block is closed in the answer.
                context.SetReasoningOpen(choice, false);
                content.Append(ResponseRewriteOptions.MergeEndUtf8);
            }

            if (choice.HasContent)
            {
                choice.Content.Complete(content, context.ThinkingSink(thinking, content));
            }

            if (choice.HasText)
            {
                choice.Text.Complete(text, context.ThinkingSink(thinking, text));
            }

            if (content.Length == 0 && text.Length == 0 && thinking.Length == 0)
            {
                continue;
            }

            if (!any)
            {
                writer.WriteStartObject();
                if (!ollama)
                {
                    writer.WriteStartArray("choices"u8);
                }
            }

            any = true;
            if (ollama)
            {
                WriteOllamaMessage(writer, context, ollamaResponse, content, thinking);
                break;
            }

            WriteChoice(writer, context, choice.Index, content, text, thinking);
        }

        if (any)
        {
            if (!ollama)
            {
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return any;
    }

    /// <summary>Ollama native: /api/chat puts the answer in "message", /api/generate in a root "response".</summary>
    private static void WriteOllamaMessage(Utf8JsonWriter writer, JsonRewriteContext context, bool response, PooledByteBuffer content, PooledByteBuffer thinking)
    {
        if (!response)
        {
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant"u8);
        }

        writer.WritePropertyName(response ? "response"u8 : "content"u8);
        context.WriteText(writer, content.WrittenSpan);
        if (thinking.Length > 0)
        {
            writer.WritePropertyName("thinking"u8);
            context.WriteText(writer, thinking.WrittenSpan);
        }

        if (!response)
        {
            writer.WriteEndObject();
        }

        writer.WriteBoolean("done"u8, false);
    }

    private static void WriteChoice(Utf8JsonWriter writer, JsonRewriteContext context, int index, PooledByteBuffer content, PooledByteBuffer text, PooledByteBuffer thinking)
    {
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        writer.WriteStartObject("delta"u8);
        writer.WritePropertyName("content"u8);
        context.WriteText(writer, content.WrittenSpan);
        if (thinking.Length > 0)
        {
            writer.WritePropertyName(context.Options.ReasoningFieldUtf8);
            context.WriteText(writer, thinking.WrittenSpan);
            ReasoningFields.WriteSecond(writer, context, context.Options.ReasoningFieldUtf8, thinking.WrittenSpan);
        }

        writer.WriteEndObject();
        if (text.Length > 0)
        {
            writer.WritePropertyName("text"u8);
            context.WriteText(writer, text.WrittenSpan);
        }

        writer.WriteNull("finish_reason"u8);
        writer.WriteEndObject();
    }
}
