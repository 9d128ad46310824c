using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// <c>append_to_last_user_message</c>: the prompt switch (<c>/no_think</c>, <c>/think</c>) goes at
/// the end of the last user turn, never after a tool result or an assistant prefill as a new turn.
/// </summary>
internal static class PromptSuffix
{
    public static bool Append(JsonObject root, string suffix, ICollection<string>? changes)
    {
        if (root["messages"] is JsonArray messages)
        {
            return AppendToMessages(messages, suffix, changes);
        }

        // No messages: Ollama's /api/generate and OpenAI's legacy /v1/completions carry the user's
        // text in "prompt", and the switch belongs at its end. Only a string prompt is touched: a
        // list of prompts (a batch, in /v1/completions) or token ids are left as the client sent them.
        if (root["prompt"] is JsonValue prompt && prompt.TryGetValue(out string? text))
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                changes?.Add("prompt: already ends with the suffix");
                return false;
            }

            root["prompt"] = text + suffix;
            changes?.Add($"prompt: appended {ModelProfile.Display(suffix)}");
            return true;
        }

        changes?.Add("suffix: the body has neither messages nor a string prompt; nothing appended");
        return false;
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

        // No user turn at all (a system prompt alone, or an assistant-only history): the only place
        // the switch can go is a new user turn at the end.
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
        // OpenAI content parts: {"type":"text","text":"…"}, {"type":"image_url",…}. The suffix joins
        // the last text part; a message of images alone gets a text part of its own.
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
}
