using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>Renames the root "model" to the name the client asked for (a pseudo-model alias).</summary>
internal static class ModelNameRewriter
{
    /// <summary>The reader is on the "model" property name; writes it with the client's name when the value is a string.</summary>
    public static void Write(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context, ReadOnlySpan<byte> model)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String)
        {
            if (!reader.ValueIsEscaped && reader.ValueSpan.SequenceEqual(model))
            {
                WritePropertyNameAndCopy(ref reader, writer);
            }
            else
            {
                writer.WritePropertyName("model"u8);
                context.WriteText(writer, model);
                context.Changed = true;
            }

            return;
        }

        WritePropertyNameAndCopy(ref reader, writer);
    }

    private static void WritePropertyNameAndCopy(ref Utf8JsonReader reader, Utf8JsonWriter writer)
    {
        writer.WritePropertyName("model"u8);
        JsonTokenCopier.CopyValue(ref reader, writer);
    }
}
