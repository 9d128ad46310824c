using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// <c>append_to_last_user_message</c>: the prompt switch (<c>/no_think</c>, <c>/think</c>) goes at
/// the end of the last user turn, never after a tool result or an assistant prefill as a new turn.
/// The client's messages are read where they are in the body and the change becomes a <see cref="BodyEdit"/>;
/// messages a profile entry supplied are a small tree and are changed in it.
/// </summary>
internal static class PromptSuffix
{
    public static bool Append(ReadOnlySpan<byte> json, ObjectOverlay root, PathValue[] found, string suffix, ICollection<string>? changes, List<BodyEdit> edits)
    {
        RewriteValue messages = root.Get("messages");
        if (messages.IsInBody && found[messages.Path!.Index].Type == JsonTokenType.StartArray)
        {
            return AppendToMessages(json, found[messages.Path.Index], suffix, changes, edits);
        }

        if (!messages.IsInBody && messages.Node is JsonArray messageNodes)
        {
            return AppendToMessages(messageNodes, suffix, changes);
        }

        // No messages: Ollama's /api/generate and OpenAI's legacy /v1/completions carry the user's
        // text in "prompt", and the switch belongs at its end. Only a string prompt is touched: a
        // list of prompts (a batch, in /v1/completions) or token ids are left as the client sent them.
        RewriteValue prompt = root.Get("prompt");
        if (prompt.IsInBody && found[prompt.Path!.Index] is { Type: JsonTokenType.String } promptValue)
        {
            if (EndsWith(json, promptValue.ValueStart, promptValue.ValueEnd, suffix))
            {
                changes?.Add("prompt: already ends with the suffix");
                return false;
            }

            edits.Add(BodyEdit.AppendToString(promptValue.ValueStart, suffix));
            changes?.Add($"prompt: appended {ModelProfile.Display(suffix)}");
            return true;
        }

        if (!prompt.IsInBody && prompt.Node is JsonValue promptNode && promptNode.TryGetValue(out string? text))
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                changes?.Add("prompt: already ends with the suffix");
                return false;
            }

            root.Set("prompt", text + suffix);
            changes?.Add($"prompt: appended {ModelProfile.Display(suffix)}");
            return true;
        }

        changes?.Add("suffix: the body has neither messages nor a string prompt; nothing appended");
        return false;
    }

    private static bool AppendToMessages(ReadOnlySpan<byte> json, PathValue messages, string suffix, ICollection<string>? changes, List<BodyEdit> edits)
    {
        int offset = messages.ValueStart;
        var reader = new Utf8JsonReader(json[offset..messages.ValueEnd], RequestBodyScanner.ReaderOptions);
        reader.Read();
        int count = 0;
        UserMessage last = default;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int index = count++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            UserMessage message = ScanMessage(ref reader, offset, index);
            if (message.IsUser)
            {
                last = message;
            }
        }

        if (!last.IsUser)
        {
            // No user turn at all (a system prompt alone, or an assistant-only history): the only place
            // the switch can go is a new user turn at the end.
            edits.Add(BodyEdit.InsertItem(messages.EndTokenOffset, new JsonObject
            {
                ["role"] = "user",
                ["content"] = suffix,
            }));
            changes?.Add($"messages[{count}]: added a user message {ModelProfile.Display(suffix)} (the conversation had none)");
            return true;
        }

        int i = last.Index;
        switch (last.Content)
        {
            case JsonTokenType.None or JsonTokenType.Null:
                edits.Add(last.Content == JsonTokenType.None
                    ? BodyEdit.InsertMembers(last.EndOffset, [new("content", suffix)])
                    : BodyEdit.ReplaceValue(last.ContentStart, suffix));
                changes?.Add($"messages[{i}].content: set to {ModelProfile.Display(suffix)} (it was empty)");
                return true;
            case JsonTokenType.String:
                if (EndsWith(json, last.ContentStart, last.ContentEnd, suffix))
                {
                    changes?.Add($"messages[{i}].content: already ends with the suffix");
                    return false;
                }

                edits.Add(BodyEdit.AppendToString(last.ContentStart, suffix));
                changes?.Add($"messages[{i}].content: appended {ModelProfile.Display(suffix)}");
                return true;
            case JsonTokenType.StartArray when last.TextPart >= 0:
                // OpenAI content parts: {"type":"text","text":"…"}, {"type":"image_url",…}. The suffix joins
                // the last text part; a message of images alone gets a text part of its own.
                int j = last.TextPart;
                if (EndsWith(json, last.TextStart, last.TextEnd, suffix))
                {
                    changes?.Add($"messages[{i}].content[{j}].text: already ends with the suffix");
                    return false;
                }

                edits.Add(BodyEdit.AppendToString(last.TextStart, suffix));
                changes?.Add($"messages[{i}].content[{j}].text: appended {ModelProfile.Display(suffix)}");
                return true;
            case JsonTokenType.StartArray:
                edits.Add(BodyEdit.InsertItem(last.ContentEnd - 1, new JsonObject
                {
                    ["type"] = "text",
                    ["text"] = suffix,
                }));
                changes?.Add($"messages[{i}].content[{last.PartCount}]: added a text part {ModelProfile.Display(suffix)}");
                return true;
            default:
                changes?.Add($"messages[{i}].content: neither text nor a list of parts; nothing appended");
                return false;
        }
    }

    /// <summary>Reads one message object (the reader on its start) to its end: its role, and where its text is.</summary>
    private static UserMessage ScanMessage(ref Utf8JsonReader reader, int offset, int index)
    {
        var message = new UserMessage { Index = index, TextPart = -1 };
        bool isUser = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                isUser = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("user"u8);
                reader.Skip();
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                message.Content = reader.TokenType;
                message.ContentStart = offset + (int)reader.TokenStartIndex;
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    ScanParts(ref reader, offset, ref message);
                }
                else
                {
                    reader.Skip();
                }

                message.ContentEnd = offset + (int)reader.BytesConsumed;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        message.EndOffset = offset + (int)reader.TokenStartIndex;
        message.IsUser = isUser;
        return message;
    }

    private static void ScanParts(ref Utf8JsonReader reader, int offset, ref UserMessage message)
    {
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int j = count++;
            if (ContentParts.TryReadTextPart(ref reader, offset, out int textStart, out int textEnd))
            {
                message.TextPart = j;
                message.TextStart = textStart;
                message.TextEnd = textEnd;
            }
        }

        message.PartCount = count;
    }

    /// <summary>Whether the JSON string at [start, end) of the body, quotes included, ends with <paramref name="suffix"/>.</summary>
    private static bool EndsWith(ReadOnlySpan<byte> json, int start, int end, string suffix)
    {
        ReadOnlySpan<byte> quoted = json[start..end];
        ReadOnlySpan<byte> escaped = quoted[1..^1];
        bool isEscaped = escaped.Contains((byte)'\\');
        // Suffixes are short switches such as "\n\n/no_think": encoded on the stack, not allocated per request.
        int most = Encoding.UTF8.GetMaxByteCount(suffix.Length);
        Span<byte> utf8 = most <= 256 ? stackalloc byte[most] : new byte[most];
        return JsonStringUnescaper.EndsWith(escaped, isEscaped, utf8[..Encoding.UTF8.GetBytes(suffix, utf8)]);
    }

    private static bool AppendToMessages(JsonArray messages, string suffix, ICollection<string>? changes)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i] is JsonObject message && IsString(message["role"], "user"))
            {
                return AppendToMessage(message, i, suffix, changes);
            }
        }

        messages.Add((JsonNode)new JsonObject
        {
            ["role"] = "user",
            ["content"] = suffix,
        });
        changes?.Add($"messages[{messages.Count - 1}]: added a user message {ModelProfile.Display(suffix)} (the conversation had none)");
        return true;
    }

    private static bool AppendToMessage(JsonObject message, int index, string suffix, ICollection<string>? changes)
    {
        message.TryGetPropertyValue("content", out JsonNode? content);
        switch (content)
        {
            case null:
                message["content"] = suffix;
                changes?.Add($"messages[{index}].content: set to {ModelProfile.Display(suffix)} (it was empty)");
                return true;
            case JsonValue value when value.TryGetValue(out string? text):
                if (text.EndsWith(suffix, StringComparison.Ordinal))
                {
                    changes?.Add($"messages[{index}].content: already ends with the suffix");
                    return false;
                }

                message["content"] = text + suffix;
                changes?.Add($"messages[{index}].content: appended {ModelProfile.Display(suffix)}");
                return true;
            case JsonArray parts:
                return AppendToParts(parts, index, suffix, changes);
            default:
                changes?.Add($"messages[{index}].content: neither text nor a list of parts; nothing appended");
                return false;
        }
    }

    private static bool AppendToParts(JsonArray parts, int index, string suffix, ICollection<string>? changes)
    {
        for (int j = parts.Count - 1; j >= 0; j--)
        {
            if (parts[j] is JsonObject part && IsString(part["type"], "text")
                && part["text"] is JsonValue textValue && textValue.TryGetValue(out string? text))
            {
                if (text.EndsWith(suffix, StringComparison.Ordinal))
                {
                    changes?.Add($"messages[{index}].content[{j}].text: already ends with the suffix");
                    return false;
                }

                part["text"] = text + suffix;
                changes?.Add($"messages[{index}].content[{j}].text: appended {ModelProfile.Display(suffix)}");
                return true;
            }
        }

        parts.Add((JsonNode)new JsonObject
        {
            ["type"] = "text",
            ["text"] = suffix,
        });
        changes?.Add($"messages[{index}].content[{parts.Count - 1}]: added a text part {ModelProfile.Display(suffix)}");
        return true;
    }

    private static bool IsString(JsonNode? node, string expected) =>
        node is JsonValue value && value.TryGetValue(out string? text) && text == expected;

    /// <summary>What the scan of the messages keeps of the last user message.</summary>
    private struct UserMessage
    {
        public bool IsUser;
        public int Index;
        public int EndOffset;
        public JsonTokenType Content;
        public int ContentStart;
        public int ContentEnd;
        public int TextPart;
        public int TextStart;
        public int TextEnd;
        public int PartCount;
    }
}
