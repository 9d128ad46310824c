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

            string name = Decode(first.ValueText, raw.Number, null, ProfileKeys.Model);
            if (name.Length == 0)
            {
                throw Fail(raw.Number, null, ProfileKeys.Model, "the model name is empty");
            }

            if (firstNumberByName.TryGetValue(name, out int earlier))
            {
                throw Fail(raw.Number, name, ProfileKeys.Model, $"model {Display(name)} already has a profile (profile {earlier}); merge the two");
            }

            firstNumberByName.Add(name, raw.Number);
            profiles.Add(BuildProfile(raw, name));
        }

        return profiles;
    }

    /// <summary>The place in LLM_PARAMS an error is about: <c>profile 2 (model=Qwen3-Clean), key "temperature"</c>.</summary>
    public static string Where(int profileNumber, string? model, string? key)
    {
        string where = model is null ? $"profile {profileNumber}" : $"profile {profileNumber} (model={model})";
        return string.IsNullOrEmpty(key) ? where : $"{where}, key \"{key}\"";
    }

    private static ModelProfile BuildProfile(RawProfile raw, string name)
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
        string? thinkTags = null;
        bool? tagsAnywhere = null;
        bool? allowModeHeader = null;

        for (int i = 1; i < raw.Entries.Count; i++)
        {
            RawEntry rawEntry = raw.Entries[i];
            (string key, ProfileEntryKind kind) = SplitKey(rawEntry, raw.Number, name);
            CheckConflicts(key, seenKeys, raw.Number, name);
            seenKeys.Add(key);

            if (ProfileKeys.IsSpecial(key))
            {
                if (kind != ProfileEntryKind.Override)
                {
                    throw Fail(raw.Number, name, key, "is a proxy setting: it takes key=value, not key?=value or !key");
                }

                string value = Decode(rawEntry.ValueText!, raw.Number, name, key);
                switch (key)
                {
                    case ProfileKeys.UpstreamModelName:
                        upstream = NonEmpty(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.AppendToLastUserMessage:
                        append = NonEmpty(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.EnableThinkTagFiltering:
                        filtering = Boolean(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.ThinkTagStart:
                        tagStart = NonEmpty(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.ThinkTagEnd:
                        tagEnd = NonEmpty(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.ThinkMode:
                        mode = value is "strip" or "split" or "keep" or "merge"
                            ? value
                            : throw Fail(raw.Number, name, key, $"expects strip, split, merge or keep, got {Display(value)}");
                        break;
                    case ProfileKeys.ThinkStartsOpen:
                        startsOpen = Boolean(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.ThinkTags:
                        thinkTags = ProfileKeys.ThinkTagsValues.Contains(value)
                            ? value
                            : throw Fail(raw.Number, name, key, $"expects one of {string.Join(", ", ProfileKeys.ThinkTagsValues)}, got {Display(value)}");
                        break;
                    case ProfileKeys.ThinkTagsAnywhere:
                        tagsAnywhere = Boolean(value, raw.Number, name, key);
                        break;
                    case ProfileKeys.AllowModeHeader:
                        allowModeHeader = Boolean(value, raw.Number, name, key);
                        break;
                    default:
                        reasoningField = NonEmpty(value, raw.Number, name, key);
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
                throw Fail(raw.Number, name, key, e.Message, e);
            }

            entries.Add(new ProfileEntry(key, kind, typed, typeName));
        }

        return new ModelProfile(name, entries, upstream, append, filtering, tagStart, tagEnd, mode, startsOpen, reasoningField, thinkTags, tagsAnywhere, allowModeHeader);
    }

    private static (string Key, ProfileEntryKind Kind) SplitKey(RawEntry entry, int number, string model)
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
                throw Fail(number, model, key, $"a removal takes no value: write !{key} alone");
            }
        }
        else if (entry.ValueText is null)
        {
            throw Fail(number, model, keyText, "has no value: write key=value, key?=value (a default) or !key (a removal)");
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
            throw Fail(number, model, null, $"an entry has no key ({Display(keyText + (entry.ValueText is null ? string.Empty : "=" + entry.ValueText))})");
        }

        foreach (string segment in key.Split('.'))
        {
            if (segment.Length == 0)
            {
                throw Fail(number, model, key, "has an empty name between dots");
            }

            foreach (char c in segment)
            {
                if (char.IsWhiteSpace(c) || c is '!' or '?' or '\\' or '"')
                {
                    throw Fail(number, model, key, $"contains '{(char.IsWhiteSpace(c) ? "whitespace" : c.ToString())}', which a key cannot hold");
                }
            }
        }

        if (key == ProfileKeys.Model || key.StartsWith(ProfileKeys.Model + ".", StringComparison.Ordinal))
        {
            throw Fail(number, model, key, "model= may only start a profile; use upstream_model_name=NAME to change the model sent upstream");
        }

        int dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && ProfileKeys.IsSpecial(key[..dot]))
        {
            throw Fail(number, model, key, $"{key[..dot]} is a proxy setting and has no fields");
        }

        return (key, kind);
    }

    private static void CheckConflicts(string key, List<string> seenKeys, int number, string model)
    {
        foreach (string seen in seenKeys)
        {
            if (seen == key)
            {
                throw Fail(number, model, key, "is given twice in this profile");
            }

            // "a" and "a.b" in one profile would fight over the same object: say so instead of picking one.
            if (key.StartsWith(seen + ".", StringComparison.Ordinal) || seen.StartsWith(key + ".", StringComparison.Ordinal))
            {
                throw Fail(number, model, key, $"overlaps key \"{seen}\" given earlier in this profile");
            }
        }
    }

    private static string Decode(string valueText, int number, string? model, string key)
    {
        try
        {
            return ValueEscapes.Decode(valueText);
        }
        catch (FormatException e)
        {
            throw Fail(number, model, key, e.Message, e);
        }
    }

    private static string NonEmpty(string value, int number, string model, string key) =>
        value.Length > 0 ? value : throw Fail(number, model, key, "is empty");

    private static bool Boolean(string value, int number, string model, string key) =>
        bool.TryParse(value, out bool flag) && value.Trim() == value
            ? flag
            : throw Fail(number, model, key, $"expects true or false, got {Display(value)}");

    private static ProfileParseException Fail(int number, string? model, string? key, string problem, Exception? inner = null)
    {
        string message = $"LLM_PARAMS: {Where(number, model, key)}: {problem}";
        return inner is null ? new ProfileParseException(message) : new ProfileParseException(message, inner);
    }

    private static string Display(string text) => ModelProfile.Display(text.Length <= 60 ? text : text[..60] + "…");
}
