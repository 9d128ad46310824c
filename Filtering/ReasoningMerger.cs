using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Merge mode for reasoning the server already separated (reasoning_content, reasoning, Ollama's thinking): it moves
/// to the start of the answer as start tag + reasoning + end tag, and out of its field. In a stream the first
/// reasoning of a choice opens the block, later reasoning continues it, and the choice's first answer text, tool call
/// or finish (or the stream's end, <see cref="LeftoverDocumentWriter"/>) closes it.
/// </summary>
internal static class ReasoningMerger
{
    /// <summary>
    /// Looks ahead through the object at <paramref name="reader"/> (a copy, on its start) and puts in
    /// <paramref name="prefix"/> what goes before its answer text; moves the choice's open/closed state on. Returns true
    /// when the object's reasoning moves (its non-empty reasoning strings are then removed). <paramref name="whole"/>: a
    /// whole text (a body, or a cumulative message.content in a stream); else <paramref name="choice"/> is the stream's
    /// choice (null: the Ollama state not made yet). With <paramref name="ownAnswerOnly"/>
    /// (an Ollama /api/generate root) an object with neither the answer nor reasoning is left alone.
    /// </summary>
    public static bool Prepare(Utf8JsonReader reader, JsonRewriteContext context, PooledByteBuffer prefix, ChoiceFilterState? choice, bool whole, bool finishing, bool ollama, ReadOnlySpan<byte> answerName, bool ownAnswerOnly = false)
    {
        PooledByteBuffer reasoning = context.MergeReasoning;
        prefix.Clear();
        reasoning.Clear();
        bool found = false;
        bool answer = false;
        bool otherShape = false;
        bool hasAnswer = false;
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
            {
                continue;
            }

            bool separated = IsMerged(ref reader, ollama);
            bool isAnswer = !separated && reader.ValueTextEquals(answerName);
            bool isCall = !separated && !isAnswer && (reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8));
            reader.Read();
            hasAnswer |= isAnswer;
            if (separated && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0 && !found)
            {
                // The same reasoning may come under both names (reasoning_field=both writes it so): the first moves, the
                // other is removed rather than shown twice.
                found = true;
                reasoning.Append(context.Decode(ref reader));
            }

            answer |= isAnswer && reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0;
            // An answer of another shape (an array of parts) cannot take the tags in front of it.
            otherShape |= isAnswer && reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null);
            answer |= isCall && reader.TokenType != JsonTokenType.Null;
            reader.Skip();
        }

        if (otherShape || (ownAnswerOnly && !hasAnswer && !found))
        {
            return false;
        }

        ResponseRewriteOptions options = context.Options;
        if (found)
        {
            context.CountThinking(JsonRewriteContext.CharCount(reasoning.WrittenSpan));
        }

        if (whole)
        {
            if (found)
            {
                prefix.Append(ResponseRewriteOptions.MergeStartUtf8);
                prefix.Append(reasoning.WrittenSpan);
                prefix.Append(ResponseRewriteOptions.MergeEndUtf8);
            }

            return found;
        }

        if (found)
        {
            // An Ollama /api/generate stream's state is made by its first reasoning.
            choice ??= context.GetChoice(ChoiceFilterState.OllamaIndex);
            if (choice.InWrittenMergedThought)
            {
                // Inside a block the answer's own tags opened (and will close): the reasoning joins it, so blocks never nest.
                prefix.Append(reasoning.WrittenSpan);
                return true;
            }

            if (!choice.ReasoningOpen)
            {
                prefix.Append(ResponseRewriteOptions.MergeStartUtf8);
                context.SetReasoningOpen(choice, true);
            }

            prefix.Append(reasoning.WrittenSpan);
        }

        if (choice is { ReasoningOpen: true } && (answer || finishing))
        {
            prefix.Append(ResponseRewriteOptions.MergeEndUtf8);
            context.SetReasoningOpen(choice, false);
        }

        return found;
    }

    /// <summary>A reasoning property merge mode moves: reasoning_content and reasoning, or Ollama's thinking (OpenRouter's structured reasoning_details stays).</summary>
    public static bool IsMerged(ref Utf8JsonReader reader, bool ollama) => ollama
        ? reader.ValueTextEquals("thinking"u8)
        : reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8);

    /// <summary>Skips a reasoning property whose text moved (non-empty strings only: a null or "" stays as it came).</summary>
    public static bool TrySkipMoved(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        Utf8JsonReader name = reader;
        reader.Read();
        if (reader.TokenType == JsonTokenType.String && reader.ValueSpan.Length > 0)
        {
            context.Changed = true;
            context.Removed = true;
            return true;
        }

        context.CopyPropertyName(ref name, writer);
        JsonTokenCopier.CopyValue(ref reader, writer);
        return false;
    }

    /// <summary>Writes the prefix as the answer's whole value (the answer was null or absent).</summary>
    public static void WritePrefixValue(Utf8JsonWriter writer, JsonRewriteContext context, ReadOnlySpan<byte> prefix)
    {
        context.WriteText(writer, prefix);
        context.Changed = true;
        context.Visible = true;
    }
}
