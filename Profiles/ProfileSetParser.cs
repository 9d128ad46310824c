using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>Turns scanned <c>LLM_PARAMS</c> profiles into typed, validated <see cref="ModelProfile"/>s.</summary>
internal static class ProfileSetParser
{
    public static List<ModelProfile> Parse(string llmParams, ICollection<string> warnings)
    {
        var profiles = new List<ModelProfile>();
        var firstNumberByName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (RawProfile raw in LlmParamsScanner.Scan(llmParams))
        {
            if (raw.Entries.Count == 0)
            {
                // Empty profiles come from a trailing ';' or ';;': nothing was meant.
                continue;
            }

            RawEntry first = raw.Entries[0];
            if (first.KeyText != ProfileKeys.Model || first.ValueText is null)
            {
                // As the original: a profile without its model name is skipped, the others still apply.
                warnings.Add($"LLM_PARAMS: profile {raw.Number} ({Display(raw.Text)}) does not start with model=NAME; skipped");
                continue;
            }

            Func<string?, string> unnamed = key => "LLM_PARAMS: " + Where(raw.Number, null, key);
            string name = Decode(first.ValueText, unnamed, ProfileKeys.Model);
            if (name.Length == 0)
            {
                throw Fail(unnamed, ProfileKeys.Model, "the model name is empty");
            }

            if (firstNumberByName.TryGetValue(name, out int earlier))
            {
                throw Fail(key => "LLM_PARAMS: " + Where(raw.Number, name, key), ProfileKeys.Model, $"model {Display(name)} already has a profile (profile {earlier}); merge the two");
            }

            firstNumberByName.Add(name, raw.Number);
            int number = raw.Number;
            profiles.Add(BuildProfile(name, raw.Entries, 1, key => "LLM_PARAMS: " + Where(number, name, key), []));
            WarnNearMisses(raw, name, warnings);
        }

        return profiles;
    }

    /// <summary>
    /// A config file's profile: <paramref name="entries"/> as LLM_PARAMS would scan them (<c>key</c>, <c>key?</c>,
    /// <c>!key</c>; values with LLM_PARAMS's escapes), typed and checked by the same rules. <paramref name="where"/>
    /// names the place of a key in the file for the error message.
    /// </summary>
    /// <exception cref="ProfileParseException">An entry is malformed; the message starts with <paramref name="where"/>.</exception>
    public static ModelProfile BuildFileProfile(string name, IReadOnlyList<RawEntry> entries, IReadOnlyList<string> upstreams, Func<string?, string> where) =>
        BuildProfile(name, entries, 0, where, upstreams);

    /// <summary>
    /// Any key is a parameter for the model, so a misspelt directive or parameter would go upstream without a word:
    /// a key a few edits from a known one gets a warning (and is still forwarded).
    /// </summary>
    private static void WarnNearMisses(RawProfile raw, string name, ICollection<string> warnings)
    {
        for (int i = 1; i < raw.Entries.Count; i++)
        {
            string key = raw.Entries[i].KeyText.TrimStart('!').TrimEnd('?').Trim();
            if (KnownProfileKeys.NearMiss(key) is { } suggestion)
            {
                warnings.Add($"LLM_PARAMS: {Where(raw.Number, name, key)}: unknown key `{key}` — did you mean `{suggestion}`? (forwarded to the model as written)");
            }
        }
    }

    /// <summary>The place in LLM_PARAMS an error is about: <c>profile 2 (model=Qwen3-Clean), key "temperature"</c>.</summary>
    public static string Where(int profileNumber, string? model, string? key)
    {
        string where = model is null ? $"profile {profileNumber}" : $"profile {profileNumber} (model={model})";
        return string.IsNullOrEmpty(key) ? where : $"{where}, key \"{key}\"";
    }

    private static ModelProfile BuildProfile(string name, IReadOnlyList<RawEntry> rawEntries, int first, Func<string?, string> where, IReadOnlyList<string> upstreams)
    {
        var entries = new List<ProfileEntry>();
        var seenKeys = new List<string>();
        string? upstream = null;
        string? append = null;
        bool? filtering = null;
        string? tagStart = null;
        string? tagEnd = null;
        string? mode = null;
        bool? startsOpen = null;
        string? reasoningField = null;
        ThinkingSwitch? thinking = null;
        ServerKind? serverKind = null;
        bool? stripHistory = null;
        bool? keepToolCall = null;
        string? thinkTags = null;
        bool? tagsAnywhere = null;
        bool? allowModeHeader = null;

        for (int i = first; i < rawEntries.Count; i++)
        {
            RawEntry rawEntry = rawEntries[i];
            (string key, ProfileEntryKind kind) = SplitKey(rawEntry, where);
            CheckConflicts(key, seenKeys, where);
            seenKeys.Add(key);

            if (ProfileKeys.IsSpecial(key))
            {
                if (kind != ProfileEntryKind.Override)
                {
                    throw Fail(where, key, "is a proxy setting: it takes key=value, not key?=value or !key");
                }

                string value = Decode(rawEntry.ValueText!, where, key);
                switch (key)
                {
                    case ProfileKeys.UpstreamModelName:
                        upstream = NonEmpty(value, where, key);
                        break;
                    case ProfileKeys.AppendToLastUserMessage:
                        append = NonEmpty(value, where, key);
                        break;
                    case ProfileKeys.EnableThinkTagFiltering:
                        filtering = Boolean(value, where, key);
                        break;
                    case ProfileKeys.ThinkTagStart:
                        tagStart = NonEmpty(value, where, key);
                        break;
                    case ProfileKeys.ThinkTagEnd:
                        tagEnd = NonEmpty(value, where, key);
                        break;
                    case ProfileKeys.ThinkMode:
                        mode = value is "strip" or "split" or "keep" or "merge"
                            ? value
                            : throw Fail(where, key, $"expects strip, split, merge or keep, got {Display(value)}");
                        break;
                    case ProfileKeys.ThinkStartsOpen:
                        startsOpen = Boolean(value, where, key);
                        break;
                    case ProfileKeys.Thinking:
                        thinking = ThinkingNames.TryParseSwitch(value, out ThinkingSwitch parsed) && ThinkingNames.Name(parsed) == value
                            ? parsed
                            : throw Fail(where, key, $"expects {ThinkingNames.SwitchValues}, got {Display(value)}");
                        break;
                    case ProfileKeys.ServerKind:
                        serverKind = ThinkingNames.TryParseServerKind(value, out ServerKind parsedKind) && ThinkingNames.Name(parsedKind) == value
                            ? parsedKind
                            : throw Fail(where, key, $"expects {ThinkingNames.ServerKindValues}, got {Display(value)}");
                        break;
                    case ProfileKeys.StripHistoryThinking:
                        stripHistory = Boolean(value, where, key);
                        break;
                    case ProfileKeys.KeepToolCallReasoning:
                        keepToolCall = Boolean(value, where, key);
                        break;
                    case ProfileKeys.ThinkTags:
                        thinkTags = ProfileKeys.ThinkTagsValues.Contains(value)
                            ? value
                            : throw Fail(where, key, $"expects one of {string.Join(", ", ProfileKeys.ThinkTagsValues)}, got {Display(value)}");
                        break;
                    case ProfileKeys.ThinkTagsAnywhere:
                        tagsAnywhere = Boolean(value, where, key);
                        break;
                    case ProfileKeys.AllowModeHeader:
                        allowModeHeader = Boolean(value, where, key);
                        break;
                    default:
                        reasoningField = NonEmpty(value, where, key);
                        break;
                }

                continue;
            }

            if (kind == ProfileEntryKind.Remove)
            {
                entries.Add(new ProfileEntry(key, kind, null, string.Empty));
                continue;
            }

            JsonNode? typed;
            string typeName;
            try
            {
                typed = ProfileValueTyper.Type(key, rawEntry.ValueText!, rawEntry.IsJson, out typeName);
            }
            catch (FormatException e)
            {
                throw Fail(where, key, e.Message, e);
            }

            entries.Add(new ProfileEntry(key, kind, typed, typeName));
        }

        if (thinking is not null)
        {
            foreach (ProfileEntry entry in entries)
            {
                if (OwnedByThinking(entry.Key))
                {
                    throw Fail(where, entry.Key, "is a field thinking= sets itself; remove one of the two");
                }
            }
        }

        return new ModelProfile(name, entries, upstream, append, filtering, tagStart, tagEnd, mode, startsOpen, reasoningField, thinkTags, tagsAnywhere, allowModeHeader)
        {
            Thinking = thinking,
            ServerKind = serverKind,
            StripHistoryThinking = stripHistory,
            KeepToolCallReasoning = keepToolCall,
            Upstreams = upstreams,
        };
    }

    /// <summary>A key the thinking switch writes, or an object holding one.</summary>
    private static bool OwnedByThinking(string key)
    {
        foreach (string owned in ThinkingTranslation.AllKeys)
        {
            if (owned == key || owned.StartsWith(key + ".", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static (string Key, ProfileEntryKind Kind) SplitKey(RawEntry entry, Func<string?, string> where)
    {
        string keyText = entry.KeyText;
        string key;
        ProfileEntryKind kind;
        if (keyText.StartsWith('!'))
        {
            key = keyText[1..].Trim();
            kind = ProfileEntryKind.Remove;
            if (entry.ValueText is not null)
            {
                throw Fail(where, key, $"a removal takes no value: write !{key} alone");
            }
        }
        else if (entry.ValueText is null)
        {
            throw Fail(where, keyText, "has no value: write key=value, key?=value (a default) or !key (a removal)");
        }
        else if (keyText.EndsWith('?'))
        {
            key = keyText[..^1].TrimEnd();
            kind = ProfileEntryKind.Default;
        }
        else
        {
            key = keyText;
            kind = ProfileEntryKind.Override;
        }

        if (key.Length == 0)
        {
            throw Fail(where, null, $"an entry has no key ({Display(keyText + (entry.ValueText is null ? string.Empty : "=" + entry.ValueText))})");
        }

        foreach (string segment in key.Split('.'))
        {
            if (segment.Length == 0)
            {
                throw Fail(where, key, "has an empty name between dots");
            }

            foreach (char c in segment)
            {
                if (char.IsWhiteSpace(c) || c is '!' or '?' or '\\' or '"')
                {
                    throw Fail(where, key, $"contains '{(char.IsWhiteSpace(c) ? "whitespace" : c.ToString())}', which a key cannot hold");
                }
            }
        }

        if (key == ProfileKeys.Model || key.StartsWith(ProfileKeys.Model + ".", StringComparison.Ordinal))
        {
            throw Fail(where, key, "model= may only start a profile; use upstream_model_name=NAME to change the model sent upstream");
        }

        int dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && ProfileKeys.IsSpecial(key[..dot]))
        {
            throw Fail(where, key, $"{key[..dot]} is a proxy setting and has no fields");
        }

        return (key, kind);
    }

    private static void CheckConflicts(string key, List<string> seenKeys, Func<string?, string> where)
    {
        foreach (string seen in seenKeys)
        {
            if (seen == key)
            {
                throw Fail(where, key, "is given twice in this profile");
            }

            // "a" and "a.b" in one profile would fight over the same object: say so instead of picking one.
            if (key.StartsWith(seen + ".", StringComparison.Ordinal) || seen.StartsWith(key + ".", StringComparison.Ordinal))
            {
                throw Fail(where, key, $"overlaps key \"{seen}\" given earlier in this profile");
            }
        }
    }

    private static string Decode(string valueText, Func<string?, string> where, string key)
    {
        try
        {
            return ValueEscapes.Decode(valueText);
        }
        catch (FormatException e)
        {
            throw Fail(where, key, e.Message, e);
        }
    }

    private static string NonEmpty(string value, Func<string?, string> where, string key) =>
        value.Length > 0 ? value : throw Fail(where, key, "is empty");

    private static bool Boolean(string value, Func<string?, string> where, string key) =>
        bool.TryParse(value, out bool flag) && value.Trim() == value
            ? flag
            : throw Fail(where, key, $"expects true or false, got {Display(value)}");

    private static ProfileParseException Fail(Func<string?, string> where, string? key, string problem, Exception? inner = null)
    {
        string message = $"{where(key)}: {problem}";
        return inner is null ? new ProfileParseException(message) : new ProfileParseException(message, inner);
    }

    private static string Display(string text) => ModelProfile.Display(text.Length <= 60 ? text : text[..60] + "…");
}
