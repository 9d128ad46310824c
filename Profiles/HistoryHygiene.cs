using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// History hygiene: the thinking of earlier assistant turns, which chat clients send back, is taken out of the request
/// (inline blocks in <c>content</c> and its text parts, the <c>reasoning_content</c>, <c>reasoning</c> and
/// <c>thinking</c> fields, and Anthropic's thinking blocks), as edits for the one copy pass. An assistant turn that ends the conversation is a prefill and
/// is left alone; with <see cref="HistoryRule.KeepToolCallReasoning"/>, so is a turn with tool calls.
/// </summary>
internal static class HistoryHygiene
{
    /// <summary>
    /// Whether the body's top-level messages hold thinking to remove: one read of the body that allocates nothing when
    /// there is none, so a filtered request with a clean history is still sent byte for byte at the cost of one pass.
    /// </summary>
    public static bool HasThinking(ReadOnlySpan<byte> json, HistoryRule rule)
    {
        var reader = new Utf8JsonReader(json, RequestBodyScanner.ReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isMessages = reader.ValueTextEquals("messages"u8);
                reader.Read();
                int start = (int)reader.TokenStartIndex;
                bool isArray = reader.TokenType == JsonTokenType.StartArray;
                reader.Skip();
                if (isMessages && isArray)
                {
                    var messages = new PathValue { Present = true, Type = JsonTokenType.StartArray, ValueStart = start, ValueEnd = (int)reader.BytesConsumed };
                    return Strip(json, messages, rule, null, null);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // A body this pass cannot read (nested too deep, or half a surrogate pair in an escape, where comparing or
            // decoding throws) is sent as it came, as a request without a profile always was.
            return false;
        }

        return false;
    }

    /// <summary>
    /// Adds the edits for the messages array at [<paramref name="messages"/>]; true when there was thinking to remove. With
    /// no <paramref name="edits"/>, only looks.
    /// </summary>
    public static bool Strip(ReadOnlySpan<byte> json, PathValue messages, HistoryRule rule, ICollection<string>? changes, List<BodyEdit>? edits)
    {
        int offset = messages.ValueStart;
        var reader = new Utf8JsonReader(json[offset..messages.ValueEnd], RequestBodyScanner.ReaderOptions);
        reader.Read();
        int index = 0;
        Message pending = default;
        bool changed = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // The turn before this one is not the last: its thinking goes.
            if (pending.IsAssistant)
            {
                changed |= Apply(json, pending, rule, changes, edits);
            }

            pending = default;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                index++;
                continue;
            }

            pending = ScanMessage(json, ref reader, offset, index++);
        }

        return changed;
    }

    private static bool Apply(ReadOnlySpan<byte> json, in Message message, HistoryRule rule, ICollection<string>? changes, List<BodyEdit>? edits)
    {
        // Anthropic's content blocks: thinking blocks go whole; a tool_use block is its tool call.
        bool thinkingBlocks = false;
        bool toolUse = false;
        if (message.PartsStart >= 0)
        {
            ThinkingBlocks.Scan(json, message.PartsStart, message.PartsEnd, out thinkingBlocks, out toolUse);
        }

        if (rule.KeepToolCallReasoning && (message.HasToolCalls || toolUse))
        {
            return false;
        }

        bool changed = false;
        changed |= RemoveField(message.ReasoningContent, message.Index, "reasoning_content", changes, edits);
        changed |= RemoveField(message.Reasoning, message.Index, "reasoning", changes, edits);
        changed |= RemoveField(message.Thinking, message.Index, "thinking", changes, edits);
        if (message.ContentStart >= 0)
        {
            changed |= StripString(json, message.ContentStart, message.ContentEnd, rule, edits, changes, message.Index, -1);
        }

        if (message.PartsStart >= 0 && thinkingBlocks)
        {
            // An array item cannot be left out by an edit: the array is written again without them, its text blocks stripped.
            edits?.Add(BodyEdit.ReplaceValue(message.PartsStart, ThinkingBlocks.Without(json, message.PartsStart, message.PartsEnd, rule)));
            changes?.Add($"messages[{message.Index}].content: thinking blocks removed (earlier assistant turn)");
            changed = true;
        }
        else if (message.PartsStart >= 0)
        {
            changed |= StripParts(json, message, rule, changes, edits);
        }

        return changed;
    }

    private static bool RemoveField(int nameOffset, int index, string name, ICollection<string>? changes, List<BodyEdit>? edits)
    {
        if (nameOffset < 0)
        {
            return false;
        }

        edits?.Add(BodyEdit.RemoveProperty(nameOffset));
        changes?.Add($"messages[{index}].{name}: removed (earlier assistant turn)");
        return true;
    }

    /// <summary>The JSON string at [start, end) of the body, quotes included, with its thinking removed by an edit.</summary>
    private static bool StripString(ReadOnlySpan<byte> json, int start, int end, HistoryRule rule, List<BodyEdit>? edits, ICollection<string>? changes, int index, int part)
    {
        ReadOnlySpan<byte> escaped = json[(start + 1)..(end - 1)];
        string? kept;
        if (escaped.IndexOf((byte)'\\') < 0)
        {
            kept = ThinkBlocks.Strip(escaped, rule.Tags, rule.StartsOpen);
        }
        else
        {
            // Decoded text is never longer than its escaped form; a tag may itself be escaped (\u003cthink\u003e).
            byte[] decoded = ArrayPool<byte>.Shared.Rent(Math.Max(escaped.Length, JsonStringUnescaper.MinimumDestination));
            try
            {
                var unescaper = new JsonStringUnescaper(escaped);
                int written = 0;
                int n;
                while ((n = unescaper.Read(decoded.AsSpan(written))) > 0)
                {
                    written += n;
                }

                kept = ThinkBlocks.Strip(decoded.AsSpan(0, written), rule.Tags, rule.StartsOpen);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(decoded);
            }
        }

        if (kept is null)
        {
            return false;
        }

        edits?.Add(BodyEdit.ReplaceValue(start, JsonValue.Create(kept)));
        changes?.Add(part < 0
            ? $"messages[{index}].content: thinking removed (earlier assistant turn)"
            : $"messages[{index}].content[{part}].text: thinking removed (earlier assistant turn)");
        return true;
    }

    /// <summary>Reads one message object (the reader on its start) to its end, noting what history hygiene may change.</summary>
    private static Message ScanMessage(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, int offset, int index)
    {
        var message = new Message { Index = index, ContentStart = -1, PartsStart = -1, ReasoningContent = -1, Reasoning = -1, Thinking = -1 };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int nameOffset = offset + (int)reader.TokenStartIndex;
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                message.IsAssistant = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("assistant"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    message.ContentStart = offset + (int)reader.TokenStartIndex;
                    message.ContentEnd = offset + (int)reader.BytesConsumed;
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    // Read again only if this turn turns out to be an earlier assistant one.
                    message.PartsStart = offset + (int)reader.TokenStartIndex;
                    reader.Skip();
                    message.PartsEnd = offset + (int)reader.BytesConsumed;
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                int start = (int)reader.TokenStartIndex;
                bool isArray = reader.TokenType == JsonTokenType.StartArray;
                reader.Skip();
                message.HasToolCalls = isArray && json[(offset + start + 1)..(offset + (int)reader.BytesConsumed - 1)].IndexOfAnyExcept(" \t\r\n"u8) >= 0;
            }
            else
            {
                bool reasoningContent = reader.ValueTextEquals("reasoning_content"u8);
                bool reasoning = !reasoningContent && reader.ValueTextEquals("reasoning"u8);
                bool thinking = !reasoningContent && !reasoning && reader.ValueTextEquals("thinking"u8);
                if (reasoningContent)
                {
                    message.ReasoningContent = nameOffset;
                }
                else if (reasoning)
                {
                    message.Reasoning = nameOffset;
                }
                else if (thinking)
                {
                    message.Thinking = nameOffset;
                }

                reader.Read();
                reader.Skip();
            }
        }

        return message;
    }

    /// <summary>OpenAI content parts: the text of every <c>{"type":"text","text":"…"}</c> part, stripped on its own.</summary>
    private static bool StripParts(ReadOnlySpan<byte> json, in Message message, HistoryRule rule, ICollection<string>? changes, List<BodyEdit>? edits)
    {
        int offset = message.PartsStart;
        var reader = new Utf8JsonReader(json[offset..message.PartsEnd], RequestBodyScanner.ReaderOptions);
        reader.Read();
        bool changed = false;
        int j = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int part = j++;
            if (ContentParts.TryReadTextPart(ref reader, offset, out int start, out int end))
            {
                changed |= StripString(json, start, end, rule, edits, changes, message.Index, part);
            }
        }

        return changed;
    }

    /// <summary>What the scan keeps of one message: its role, tool calls, and where its thinking may be (offsets, -1: none).</summary>
    private struct Message
    {
        public bool IsAssistant;
        public bool HasToolCalls;
        public int Index;
        public int ContentStart;
        public int ContentEnd;
        public int PartsStart;
        public int PartsEnd;
        public int ReasoningContent;
        public int Reasoning;
        public int Thinking;
    }
}
