using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

/// <summary>
/// TEST ORACLE, not product code: the request rewrite as it was before the one-pass rewriter (commit 5b77dc5,
/// Profiles/RequestRewriter.cs and PromptSuffix.cs), parsing the whole body into a JsonNode tree. The property tests hold
/// the streaming <see cref="RequestRewriter"/> to it.
/// </summary>
internal static class TreeRequestRewriterOracle
{
    /// <summary>
    /// Rewrites <paramref name="body"/> (a JSON object) for <paramref name="profile"/> and returns the
    /// new UTF-8 body; when nothing needed changing, the original bytes come back as they were.
    /// Numbers the client sent keep their exact text, and non-ASCII text stays UTF-8.
    /// </summary>
    /// <param name="body">The client's request body.</param>
    /// <param name="profile">The profile that matched the request's model.</param>
    /// <param name="changes">When not null, receives one human-readable line per change (for DEBUG logs).</param>
    /// <exception cref="JsonException">The body is not a JSON object, or names one property twice (which upstream servers resolve differently).</exception>
    public static byte[] Rewrite(ReadOnlySpan<byte> body, ModelProfile profile, ICollection<string>? changes = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!profile.RewritesRequest)
        {
            return body.ToArray();
        }

        // RFC 8259 §8.1: a parser MAY ignore a leading byte order mark (the proxy's JSON check does); the rewrite drops it.
        ReadOnlySpan<byte> json = body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? body[3..] : body;
        JsonObject root = JsonNode.Parse(json, documentOptions: JsonText.DocumentOptions) as JsonObject
            ?? throw new JsonException("the request body is not a JSON object");
        bool changed = false;

        foreach (ProfileEntry entry in profile.Entries)
        {
            changed |= entry.Kind switch
            {
                ProfileEntryKind.Remove => Remove(root, entry, changes),
                ProfileEntryKind.Override => Override(root, entry, changes),
                _ => ApplyDefault(root, entry, changes),
            };
        }

        if (profile.UpstreamModelName is string upstream)
        {
            changed |= SetModel(root, upstream, changes);
        }

        if (profile.AppendToLastUserMessage is string suffix)
        {
            changed |= AppendSuffix(root, suffix, changes);
        }

        return changed ? JsonText.ToUtf8(root) : body.ToArray();
    }

    private static bool Remove(JsonObject root, ProfileEntry entry, ICollection<string>? changes)
    {
        JsonObject? parent = Walk(root, entry.Path, create: false);
        string leaf = entry.Path[^1];
        if (parent is null || !parent.TryGetPropertyValue(leaf, out JsonNode? old))
        {
            return false;
        }

        parent.Remove(leaf);
        changes?.Add($"{entry.Key}: removed (client sent {JsonText.Short(old)})");
        return true;
    }

    private static bool Override(JsonObject root, ProfileEntry entry, ICollection<string>? changes)
    {
        JsonObject parent = Walk(root, entry.Path, create: true)!;
        string leaf = entry.Path[^1];
        JsonNode? value = entry.CloneValue();
        if (parent.TryGetPropertyValue(leaf, out JsonNode? old))
        {
            if (JsonNode.DeepEquals(old, value))
            {
                return false;
            }

            changes?.Add($"{entry.Key}: {JsonText.Short(old)} → {entry.ValueJson} (override)");
        }
        else
        {
            changes?.Add($"{entry.Key}: set {entry.ValueJson} (override; client sent none)");
        }

        parent[leaf] = value;
        return true;
    }

    private static bool ApplyDefault(JsonObject root, ProfileEntry entry, ICollection<string>? changes)
    {
        // A default never replaces what the client sent, not even a non-object where the path
        // needs an object: only missing fields (and missing parent objects) are filled in.
        JsonObject? parent = Walk(root, entry.Path, create: true, replaceNonObjects: false);
        string leaf = entry.Path[^1];
        if (parent is null || parent.ContainsKey(leaf))
        {
            return false;
        }

        parent[leaf] = entry.CloneValue();
        changes?.Add($"{entry.Key}: set {entry.ValueJson} (default; client sent none)");
        return true;
    }

    private static bool SetModel(JsonObject root, string upstream, ICollection<string>? changes)
    {
        root.TryGetPropertyValue("model", out JsonNode? old);
        if (old is JsonValue value && value.TryGetValue(out string? name) && name == upstream)
        {
            return false;
        }

        root["model"] = upstream;
        changes?.Add($"model: {(old is null ? "none" : JsonText.Short(old))} → {JsonText.Of(root["model"])} (upstream_model_name)");
        return true;
    }

    /// <summary>
    /// The object holding the last segment of <paramref name="path"/>. Missing objects on the way
    /// are created when <paramref name="create"/>; a non-object on the way is replaced by an
    /// object when <paramref name="replaceNonObjects"/> (an override wins), else the walk gives up.
    /// </summary>
    private static JsonObject? Walk(JsonObject root, IReadOnlyList<string> path, bool create, bool replaceNonObjects = true)
    {
        JsonObject current = root;
        for (int i = 0; i < path.Count - 1; i++)
        {
            string segment = path[i];
            bool present = current.TryGetPropertyValue(segment, out JsonNode? next);
            if (next is JsonObject nextObject)
            {
                current = nextObject;
                continue;
            }

            if (!create || (present && !replaceNonObjects))
            {
                return null;
            }

            var created = new JsonObject();
            current[segment] = created;
            current = created;
        }

        return current;
    }

    // The old PromptSuffix, on the tree.

    private static bool AppendSuffix(JsonObject root, string suffix, ICollection<string>? changes)
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
