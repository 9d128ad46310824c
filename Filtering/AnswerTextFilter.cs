using System.Buffers;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Runs one answer string ("content", "text", Ollama "response") through the think-tag filter, and
/// releases the text a choice's filter still holds when the choice finishes.
/// </summary>
internal static class AnswerTextFilter
{
    /// <summary>
    /// Filters one string value; <paramref name="stripper"/> null means the value is a whole text. <paramref name="prefix"/>
    /// (merge mode's separated reasoning in its tags) is written before the filtered text.
    /// </summary>
    public static void Filter(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context, ThinkTagStripper? stripper, bool finishing, PooledByteBuffer thinking, ReadOnlySpan<byte> prefix = default, LogprobTrack? track = null)
    {
        ReadOnlySpan<byte> text = context.Decode(ref reader);
        PooledByteBuffer fieldOut = context.FieldOut;
        fieldOut.Clear();
        fieldOut.Append(prefix);
        int thinkingBefore = thinking.Length;
        IBufferWriter<byte>? sink = context.ThinkingSink(thinking, fieldOut);
        ThinkTagStripper used = stripper ?? context.WholeStripper;
        if (track is not null && context.TracksLogprobs)
        {
            // The logprobs of this text keep only the tokens whose bytes pass as they stood (LogprobsWriter).
            track.Begin(text);
            used.VisibleRanges = track.Visible;
        }

        if (stripper is null)
        {
            used.Reset();
            used.Process(text, fieldOut, sink);
            used.VisibleRanges = null;
            used.Complete(fieldOut, sink);
        }
        else
        {
            stripper.Process(text, fieldOut, sink);
            stripper.VisibleRanges = null;
            if (finishing)
            {
                stripper.Complete(fieldOut, sink);
            }
        }

        ReadOnlySpan<byte> result = fieldOut.WrittenSpan;
        ReadOnlySpan<byte> filtered = result[prefix.Length..];
        if (context.Filters && filtered.Length != text.Length)
        {
            // Strip: what the stripper removed (thought and tags); split: what it moved (thought and tags, the tags dropped).
            context.CountThinking(JsonRewriteContext.CharCount(text) - JsonRewriteContext.CharCount(filtered));
        }

        if (result.Length > 0)
        {
            context.Visible = true;
        }

        if (prefix.IsEmpty && result.SequenceEqual(text) && thinking.Length == thinkingBefore)
        {
            JsonTokenCopier.CopyValue(ref reader, writer);
            return;
        }

        context.Changed = true;
        context.Removed = true;
        context.WriteText(writer, result);
    }

    /// <summary>
    /// An answer field that is not a string (an array of parts, an object): it cannot be filtered, so
    /// it is written as null (failing closed) while its choice may be inside a thought or when any
    /// string in it may hold a tag; otherwise it is copied. The property name was already written.
    /// </summary>
    public static void CopyOtherShape(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context, ThinkTagStripper? stripper, LogprobTrack? track = null)
    {
        if (reader.TokenType == JsonTokenType.Null || (stripper is not { MayBeInThought: true } && !MayHoldTag(reader, context.Options)))
        {
            JsonTokenCopier.CopyValue(ref reader, writer);
            return;
        }

        track?.MarkAllHidden();
        reader.Skip();
        writer.WriteNullValue();
        context.Changed = true;
        context.Removed = true;
    }

    /// <summary>The choice finishes in an event without that field: held text goes into a new one.</summary>
    public static void WriteReleased(Utf8JsonWriter writer, JsonRewriteContext context, ThinkTagStripper stripper, ReadOnlySpan<byte> name, PooledByteBuffer thinking, ReadOnlySpan<byte> prefix = default)
    {
        PooledByteBuffer fieldOut = context.FieldOut;
        fieldOut.Clear();
        fieldOut.Append(prefix);
        stripper.Complete(fieldOut, context.ThinkingSink(thinking, fieldOut));
        if (fieldOut.Length > 0)
        {
            writer.WritePropertyName(name);
            context.WriteText(writer, fieldOut.WrittenSpan);
            context.Changed = true;
            context.Visible = true;
        }

        context.Changed |= thinking.Length > 0;
    }

    /// <summary>Some string in the value at <paramref name="reader"/> (a copy) is escaped or holds a tag's first byte.</summary>
    private static bool MayHoldTag(Utf8JsonReader reader, ResponseRewriteOptions options)
    {
        SearchValues<byte> first = options.Tags.FirstByteValues;
        int depth = reader.CurrentDepth;
        do
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName
                && (reader.ValueIsEscaped || reader.ValueSpan.IndexOfAny(first) >= 0))
            {
                return true;
            }
        }
        while (reader.Read() && reader.CurrentDepth > depth);

        return false;
    }
}
