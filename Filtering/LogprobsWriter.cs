using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Strip mode: a choice's "logprobs" loses the entries of tokens the client no longer sees. Two shapes, from the OpenAI
/// API reference: chat completions' <c>choices[i].logprobs.content</c>, an array of <c>{token, logprob, bytes,
/// top_logprobs}</c> whose tokens concatenate to the delta's (or message's) content, and legacy completions'
/// <c>choices[i].logprobs</c> of parallel arrays <c>tokens</c>, <c>token_logprobs</c>, <c>top_logprobs</c>,
/// <c>text_offset</c> whose tokens concatenate to the choice's text. A token is kept only when its bytes lie wholly in
/// text that passed as it stood; one that overlaps hidden text goes. Tokens that do not concatenate to the text cannot
/// be placed: all the entries go (failing closed), and the mismatch is counted. Where non-empty reasoning the server
/// separated was removed (vLLM sends the logprobs of reasoning tokens beside <c>reasoning_content</c>), the tokens are
/// the reasoning's and then the content's: only the content's last tokens, matched the same way, can stay.
/// </summary>
internal static class LogprobsWriter
{
    /// <summary>The reader is on the value of a choice's "logprobs"; the property name was written.</summary>
    public static void Write(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        LogprobTrack content = context.ContentTrack;
        LogprobTrack text = context.TextTrack;
        if (reader.TokenType != JsonTokenType.StartObject || !(content.Hides || text.Hides))
        {
            JsonTokenCopier.CopyValue(ref reader, writer);
            return;
        }

        // Legacy completions: one mask over the four parallel arrays, from "tokens".
        bool parallel = text.Hides && Mark(FindArray(reader, "tokens"u8), context, text, stringsOnly: true);
        context.Changed = true;
        writer.WriteStartObject();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            bool chat = content.Hides && reader.ValueTextEquals("content"u8);
            bool column = text.Hides && (reader.ValueTextEquals("tokens"u8) || reader.ValueTextEquals("token_logprobs"u8)
                || reader.ValueTextEquals("top_logprobs"u8) || reader.ValueTextEquals("text_offset"u8));
            context.CopyPropertyName(ref reader, writer);
            reader.Read();
            if (chat && reader.TokenType == JsonTokenType.StartArray)
            {
                Mark(reader, context, content, stringsOnly: false);
                WriteKept(ref reader, writer, context);
                // The flags are the chat array's now: legacy columns beside it (no server sends both) all go.
                parallel = false;
            }
            else if (column && reader.TokenType == JsonTokenType.StartArray)
            {
                if (!parallel)
                {
                    context.KeptTokens.Clear();
                }

                WriteKept(ref reader, writer, context);
            }
            else
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>A copy of the reader on the named array of the object at <paramref name="reader"/>; default when there is none.</summary>
    private static Utf8JsonReader FindArray(Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        int depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == depth + 1 && reader.ValueTextEquals(name))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.StartArray ? reader : default;
            }

            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                reader.Read();
                reader.Skip();
            }
        }

        return default;
    }

    /// <summary>
    /// Fills <see cref="JsonRewriteContext.KeptTokens"/> with one flag per element of the array at <paramref name="array"/>
    /// (a copy): 1 where the token shows. Elements are strings (legacy) or objects with a "token" string (chat). False,
    /// with no flag set, when nothing of the text shows or the tokens cannot be placed along it.
    /// </summary>
    private static bool Mark(Utf8JsonReader array, JsonRewriteContext context, LogprobTrack track, bool stringsOnly)
    {
        PooledByteBuffer kept = context.KeptTokens;
        kept.Clear();
        if (array.TokenType != JsonTokenType.StartArray || track.AllHidden || !track.Seen || track.Text.Length == 0)
        {
            // Nothing of the text shows (or there was none beside removed reasoning): every entry goes.
            return false;
        }

        // Pass 1: the tokens' length together (-1 when one has no readable text).
        int total = 0;
        Utf8JsonReader tokens = array;
        while (NextToken(ref tokens, context, stringsOnly, out ReadOnlySpan<byte> token, out bool readable))
        {
            total = readable && total >= 0 ? total + token.Length : -1;
        }

        ReadOnlySpan<byte> text = track.Text.WrittenSpan;
        // The content's tokens are the last ones: after the reasoning's where reasoning was removed beside it.
        int start = total - text.Length;
        if (total < 0 || start < 0 || (start > 0 && !track.ReasoningRemoved))
        {
            context.CountLogprobsMismatch();
            return false;
        }

        // Pass 2: from a token boundary the tokens must spell the text; each is kept where its bytes lie in one visible range.
        int offset = 0;
        bool aligned = start == 0;
        tokens = array;
        while (NextToken(ref tokens, context, stringsOnly, out ReadOnlySpan<byte> token, out _))
        {
            aligned |= offset == start;
            bool shows = false;
            if (offset >= start)
            {
                if (!aligned || !text[(offset - start)..].StartsWith(token))
                {
                    aligned = false;
                    break;
                }

                shows = track.Shows(offset - start, offset - start + token.Length);
            }

            kept.GetSpan(1)[0] = shows ? (byte)1 : (byte)0;
            kept.Advance(1);
            offset += token.Length;
        }

        if (!aligned)
        {
            kept.Clear();
            context.CountLogprobsMismatch();
            return false;
        }

        return true;
    }

    /// <summary>The next element's token text (decoded); false at the array's end.</summary>
    private static bool NextToken(ref Utf8JsonReader reader, JsonRewriteContext context, bool stringsOnly, out ReadOnlySpan<byte> token, out bool readable)
    {
        token = default;
        readable = false;
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            return false;
        }

        if (stringsOnly && reader.TokenType == JsonTokenType.String)
        {
            token = context.Decode(ref reader);
            readable = true;
            return true;
        }

        if (stringsOnly || reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return true;
        }

        int inner = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > inner)
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            bool isToken = reader.ValueTextEquals("token"u8);
            reader.Read();
            if (isToken && reader.TokenType == JsonTokenType.String)
            {
                token = context.Decode(ref reader);
                readable = true;
            }

            reader.Skip();
        }

        return true;
    }

    /// <summary>Copies the array at the reader, leaving out the elements whose flag in <see cref="JsonRewriteContext.KeptTokens"/> is 0 (all of them past the flags).</summary>
    private static void WriteKept(ref Utf8JsonReader reader, Utf8JsonWriter writer, JsonRewriteContext context)
    {
        ReadOnlySpan<byte> flags = context.KeptTokens.WrittenSpan;
        writer.WriteStartArray();
        int depth = reader.CurrentDepth;
        int index = 0;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            if (index < flags.Length && flags[index] == 1)
            {
                JsonTokenCopier.CopyValue(ref reader, writer);
            }
            else
            {
                reader.Skip();
            }

            index++;
        }

        writer.WriteEndArray();
    }

}
