using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Writes the root object of one document: renames the model, hands "choices" on, and handles the
/// Ollama native shapes, which carry a single message (or response) at the root instead of choices.
/// </summary>
internal static class JsonRootWriter
{
    private enum Field
    {
        Other,
        Choices,
        Message,
        Response,
        Payload,
        Done,
    }

    /// <summary>The reader is on the root object's start.</summary>
    public static void Write(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        ChoiceFilterState? ollama = null;
        ReadOnlySpan<byte> prefix = default;
        bool moves = false;
        if (context.Options.Mode == ThinkMode.Merge && context.Scanner.RootMayGenerate)
        {
            // Ollama native /api/generate: the root "thinking" moves in front of the root "response".
            PooledByteBuffer rootPrefix = context.MergeRootPrefix;
            ChoiceFilterState? known = context.Streaming && context.TryGetChoice(ChoiceFilterState.OllamaIndex, out ChoiceFilterState? state) ? state : null;
            moves = ReasoningMerger.Prepare(reader, context, rootPrefix, known, !context.Streaming, context.Scanner.OllamaDone, ollama: true, "response"u8, ownAnswerOnly: true);
            prefix = rootPrefix.WrittenSpan;
            if (moves && context.Streaming)
            {
                ollama = context.GetChoice(ChoiceFilterState.OllamaIndex);
                ollama.OllamaUsesResponse = true;
            }
        }

        writer.WriteStartObject();
        context.ThinkRoot.Clear();
        bool sawResponse = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("model"u8) && context.Options.ClientModelNameUtf8 is { } model)
            {
                ModelNameRewriter.Write(ref reader, writer, context, model);
                continue;
            }

            if (moves && reader.ValueTextEquals("thinking"u8))
            {
                ReasoningMerger.TrySkipMoved(ref reader, writer, context);
                continue;
            }

            if (context.Options.Mode == ThinkMode.Strip && reader.ValueTextEquals("thinking"u8))
            {
                // Ollama native /api/generate separates reasoning into a root "thinking" string.
                ReasoningFields.Strip(ref reader, writer, context);
                continue;
            }

            Field field = context.Filters ? Classify(ref reader) : Field.Other;
            context.CopyPropertyName(ref reader, writer);
            reader.Read();
            switch (field, reader.TokenType)
            {
                case (Field.Choices, JsonTokenType.StartArray):
                    ChoiceArrayWriter.Write(ref reader, writer, context);
                    break;
                case (Field.Message, JsonTokenType.StartObject):
                    // Ollama native /api/chat: { "message": { "role", "content", "thinking" }, "done" }.
                    ollama ??= context.GetChoice(ChoiceFilterState.OllamaIndex);
                    MessageContainerWriter.Write(ref reader, writer, context, ollama, context.Scanner.OllamaDone, "thinking"u8);
                    break;
                case (Field.Response, JsonTokenType.String):
                    // Ollama native /api/generate streams the answer in a root "response" string.
                    ollama ??= context.GetChoice(ChoiceFilterState.OllamaIndex);
                    ollama.OllamaUsesResponse = true;
                    sawResponse = true;
                    AnswerTextFilter.Filter(ref reader, writer, context, ollama.Content, context.Scanner.OllamaDone, context.ThinkRoot, prefix);
                    prefix = default;
                    break;
                case (Field.Response, JsonTokenType.Null) when !prefix.IsEmpty:
                    ReasoningMerger.WritePrefixValue(writer, context, prefix);
                    prefix = default;
                    break;
                case (Field.Response, _) when ollama is { HasContent: true } || context.TryGetChoice(ChoiceFilterState.OllamaIndex, out ollama):
                    // Another shape inside an Ollama /api/generate stream (a Responses API "response" object is no such stream).
                    AnswerTextFilter.CopyOtherShape(ref reader, writer, context, ollama.HasContent && ollama.OllamaUsesResponse ? ollama.Content : null);
                    break;
                default:
                    // usage and error are payload of their own; so is Ollama's "done": true.
                    context.Payload |= field == Field.Payload ? reader.TokenType != JsonTokenType.Null : field == Field.Done && reader.TokenType == JsonTokenType.True;
                    JsonTokenCopier.CopyValue(ref reader, writer);
                    break;
            }
        }

        if (ollama is not null && context.Scanner.OllamaDone)
        {
            ollama.Finished = true;
        }

        if (!prefix.IsEmpty)
        {
            // Reasoning (or the close of it) in a line without a "response" string.
            writer.WritePropertyName("response"u8);
            ReasoningMerger.WritePrefixValue(writer, context, prefix);
        }

        if (sawResponse)
        {
            ReasoningFields.WriteCollected(writer, context, "thinking"u8, context.ThinkRoot);
        }

        writer.WriteEndObject();
    }

    private static Field Classify(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("choices"u8))
        {
            return Field.Choices;
        }

        if (reader.ValueTextEquals("message"u8))
        {
            return Field.Message;
        }

        if (reader.ValueTextEquals("response"u8))
        {
            return Field.Response;
        }

        if (reader.ValueTextEquals("usage"u8) || reader.ValueTextEquals("error"u8))
        {
            return Field.Payload;
        }

        return reader.ValueTextEquals("done"u8) ? Field.Done : Field.Other;
    }
}
