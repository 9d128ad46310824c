using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Reasoning the upstream already separated from the answer: recognised by name, removed in strip
/// mode, and, in split mode, the thinking found in tags written out under the reasoning field name.
/// </summary>
internal static class ReasoningFields
{
    /// <summary>The reader is on a property name that holds separated reasoning in a delta or message object.</summary>
    public static bool IsSeparated(ref Utf8JsonReader reader, bool ollama)
    {
        // DeepSeek, llama.cpp, vLLM reasoning_content; Ollama /v1 and Groq reasoning; OpenRouter
        // reasoning_details; Ollama native thinking.
        return ollama
            ? reader.ValueTextEquals("thinking"u8)
            : reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8)
                || reader.ValueTextEquals("reasoning_details"u8);
    }

    /// <summary>
    /// Removes a reasoning property; a null or empty one stays as it came (vLLM and SGLang send
    /// "reasoning_content": null, OpenRouter "reasoning_details": [] in every chunk).
    /// </summary>
    public static void Strip(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        Utf8JsonReader name = reader;
        reader.Read();
        Utf8JsonReader peek = reader;
        if (reader.TokenType == JsonTokenType.Null
            || (reader.TokenType == JsonTokenType.StartArray && peek.Read() && peek.TokenType == JsonTokenType.EndArray))
        {
            context.CopyPropertyName(ref name, writer);
            JsonTokenCopier.CopyValue(ref reader, writer);
            return;
        }

        context.Changed = true;
        context.Removed = true;
        // The logprobs beside it are the reasoning's tokens (vLLM): LogprobsWriter keeps only those of visible content.
        context.ContentTrack.ReasoningRemoved |= !(reader.TokenType == JsonTokenType.String && reader.ValueSpan.IsEmpty);
        if (reader.TokenType == JsonTokenType.String)
        {
            // As it came, escapes and all: the value is skipped, never decoded.
            context.CountThinking(JsonRewriteContext.CharCount(reader.ValueSpan));
        }

        reader.Skip();
    }

    /// <summary>Split mode: writes the thinking collected from the object's text fields, if any, as <paramref name="name"/>.</summary>
    public static void WriteCollected(Utf8JsonWriter writer, JsonRewriteContext context, ReadOnlySpan<byte> name, PooledByteBuffer thinking)
    {
        if (thinking.Length > 0)
        {
            writer.WritePropertyName(name);
            context.WriteText(writer, thinking.WrittenSpan);
            context.Visible = true;
            WriteSecond(writer, context, name, thinking.WrittenSpan);
        }
    }

    /// <summary><c>reasoning_field=both</c>: the same thinking again under the second name (not for Ollama's "thinking").</summary>
    public static void WriteSecond(Utf8JsonWriter writer, JsonRewriteContext context, ReadOnlySpan<byte> name, ReadOnlySpan<byte> thinking)
    {
        if (context.Options.SecondReasoningFieldUtf8 is { } second && name.SequenceEqual(context.Options.ReasoningFieldUtf8))
        {
            writer.WritePropertyName(second);
            context.WriteText(writer, thinking);
        }
    }
}
