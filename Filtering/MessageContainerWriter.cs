using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Writes a delta or message object (or Ollama native "message"): filters "content", strips or keeps
/// separated reasoning, and tells payload (role, tool calls, refusal) from filtered text.
/// </summary>
internal static class MessageContainerWriter
{
    /// <summary>
    /// The reader is on the object's start. <paramref name="choice"/> null means a whole text
    /// (a non-streaming body, or a cumulative message.content inside a stream).
    /// </summary>
    public static void Write(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context, ChoiceFilterState? choice, bool finishing, ReadOnlySpan<byte> thinkingName)
    {
        bool ollama = choice?.Index == ChoiceFilterState.OllamaIndex;
        // Merge mode: separated reasoning moves in front of "content" (wherever the two stand in the object).
        bool merge = context.Options.Mode == ThinkMode.Merge;
        bool moves = merge && ReasoningMerger.Prepare(reader, context, context.MergePrefix, choice, choice is null || !context.Streaming, finishing, ollama, "content"u8);
        ReadOnlySpan<byte> prefix = merge ? context.MergePrefix.WrittenSpan : default;
        writer.WriteStartObject();
        PooledByteBuffer thinking = context.ThinkContainer;
        thinking.Clear();
        bool sawContent = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                context.CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    sawContent = true;
                    AnswerTextFilter.Filter(ref reader, writer, context, context.Streaming ? choice?.Content : null, finishing, thinking, prefix, ollama ? null : context.ContentTrack);
                }
                else if (reader.TokenType == JsonTokenType.Null && !prefix.IsEmpty)
                {
                    // DeepSeek sends "content": null beside its reasoning (tests/CotProxy.Tests/Fixtures/INDEX.md, row 14).
                    sawContent = true;
                    ReasoningMerger.WritePrefixValue(writer, context, prefix);
                }
                else
                {
                    AnswerTextFilter.CopyOtherShape(ref reader, writer, context, context.Streaming ? choice?.Content : null, context.ContentTrack);
                }

                continue;
            }

            if (moves && ReasoningMerger.IsMerged(ref reader, ollama))
            {
                ReasoningMerger.TrySkipMoved(ref reader, writer, context);
                continue;
            }

            if (context.Options.Mode == ThinkMode.Strip && ReasoningFields.IsSeparated(ref reader, ollama))
            {
                // Strip mode: reasoning the upstream already separated is removed too.
                ReasoningFields.Strip(ref reader, writer, context);
                continue;
            }

            if (reader.ValueTextEquals("role"u8) || reader.ValueTextEquals("tool_calls"u8)
                || reader.ValueTextEquals("function_call"u8) || reader.ValueTextEquals("refusal"u8))
            {
                WritePayloadProperty(ref reader, writer, context, choice, ollama);
                continue;
            }

            context.CopyProperty(ref reader, writer);
        }

        if (finishing && context.Streaming && !sawContent && choice is not null && choice.HasContent)
        {
            AnswerTextFilter.WriteReleased(writer, context, choice.Content, "content"u8, thinking, prefix);
        }
        else if (!sawContent && !prefix.IsEmpty)
        {
            writer.WritePropertyName("content"u8);
            ReasoningMerger.WritePrefixValue(writer, context, prefix);
        }

        ReasoningFields.WriteCollected(writer, context, thinkingName, thinking);
        writer.WriteEndObject();
    }

    private static void WritePayloadProperty(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context, ChoiceFilterState? choice, bool ollama)
    {
        Utf8JsonReader name = reader;
        context.CopyPropertyName(ref reader, writer);
        reader.Read();
        if (reader.TokenType != JsonTokenType.Null)
        {
            // The role is payload of its own only the first time: Ollama (/v1 and native) repeats it
            // in every chunk, which would otherwise keep every emptied thinking event alive.
            bool isRole = reader.TokenType == JsonTokenType.String && name.ValueTextEquals("role"u8);
            context.Payload |= !isRole || (choice is not null && !ollama && !choice.RoleSeen);
            if (isRole && choice is not null)
            {
                choice.RoleSeen = true;
            }
        }

        JsonTokenCopier.CopyValue(ref reader, writer);
    }
}
