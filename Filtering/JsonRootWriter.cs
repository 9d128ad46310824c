using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Writes the root object of one document: renames the model, hands "choices" on, and handles the
/// Ollama native shapes, which carry a single message (or response) at the root instead of choices.
/// </summary>
internal static class JsonRootWriter
{
    /// <summary>The reader is on the root object's start.</summary>
    public static void Write(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        writer.WriteStartObject();
        context.ThinkRoot.Clear();
        ChoiceFilterState? ollama = null;
        bool sawResponse = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("model"u8) && context.Options.ClientModelNameUtf8 is { } model)
            {
                ModelNameRewriter.Write(ref reader, writer, context, model);
                continue;
            }

            if (!context.Filters)
            {
                context.CopyProperty(ref reader, writer);
                continue;
            }

            if (reader.ValueTextEquals("choices"u8))
            {
                context.CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    ChoiceArrayWriter.Write(ref reader, writer, context);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("message"u8))
            {
                // Ollama native /api/chat: { "message": { "role", "content", "thinking" }, "done" }.
                context.CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ollama ??= context.GetChoice(ChoiceFilterState.OllamaIndex);
                    MessageContainerWriter.Write(ref reader, writer, context, ollama, context.Scanner.OllamaDone, "thinking"u8);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("response"u8))
            {
                // Ollama native /api/generate streams the answer in a root "response" string.
                context.CopyPropertyName(ref reader, writer);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    ollama ??= context.GetChoice(ChoiceFilterState.OllamaIndex);
                    ollama.OllamaUsesResponse = true;
                    sawResponse = true;
                    AnswerTextFilter.Filter(ref reader, writer, context, ollama.Content, context.Scanner.OllamaDone, context.ThinkRoot);
                }
                else
                {
                    JsonTokenCopier.CopyValue(ref reader, writer);
                }

                continue;
            }

            if (reader.ValueTextEquals("thinking"u8) && !context.Splits)
            {
                // Ollama native /api/generate separates reasoning into a root "thinking" string.
                ReasoningFields.Strip(ref reader, writer, context);
                continue;
            }

            if (reader.ValueTextEquals("usage"u8) || reader.ValueTextEquals("error"u8))
            {
                context.CopyPropertyName(ref reader, writer);
                reader.Read();
                context.Payload |= reader.TokenType != JsonTokenType.Null;
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            if (reader.ValueTextEquals("done"u8))
            {
                context.CopyPropertyName(ref reader, writer);
                reader.Read();
                context.Payload |= reader.TokenType == JsonTokenType.True;
                JsonTokenCopier.CopyValue(ref reader, writer);
                continue;
            }

            context.CopyProperty(ref reader, writer);
        }

        if (ollama is not null && context.Scanner.OllamaDone)
        {
            ollama.Finished = true;
        }

        if (sawResponse)
        {
            ReasoningFields.WriteCollected(writer, context, "thinking"u8, context.ThinkRoot);
        }

        writer.WriteEndObject();
    }
}
