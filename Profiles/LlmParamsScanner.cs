namespace CotProxy.Profiles;

/// <summary>
/// Splits <c>LLM_PARAMS</c> into profiles (<c>;</c>) and entries (<c>,</c>), key and value at the
/// first <c>=</c>. A backslash escapes the next character, so <c>\,</c> and <c>\;</c> do not split;
/// a value starting with <c>[</c> or <c>{</c> runs to its matching bracket (JSON strings and their
/// escapes respected), commas and semicolons inside included. Decoding and typing come later.
/// </summary>
internal static class LlmParamsScanner
{
    public static List<RawProfile> Scan(string text)
    {
        var profiles = new List<RawProfile>();
        var entries = new List<RawEntry>();
        int profileStart = 0;
        int pos = 0;
        while (true)
        {
            RawEntry entry = ScanEntry(text, ref pos, profiles.Count + 1, entries);
            if (entry.KeyText.Length > 0 || entry.ValueText is not null)
            {
                entries.Add(entry);
            }

            if (pos < text.Length && text[pos] == ',')
            {
                pos++;
                continue;
            }

            // End of a profile: a ';' or the end of the text.
            string profileText = text[profileStart..pos].Trim();
            profiles.Add(new RawProfile(profiles.Count + 1, profileText, entries.ToArray()));
            entries.Clear();
            if (pos >= text.Length)
            {
                break;
            }

            pos++;
            profileStart = pos;
        }

        return profiles;
    }

    /// <summary>Keys whose value is plain text even when it starts with a bracket (<c>think_tag_start=[THINK]</c>, as Mistral's Magistral writes it).</summary>
    public static bool IsTextKey(string key) => key is "model"
        or ProfileKeys.UpstreamModelName
        or ProfileKeys.AppendToLastUserMessage
        or ProfileKeys.ThinkTagStart
        or ProfileKeys.ThinkTagEnd
        or ProfileKeys.ThinkMode
        or ProfileKeys.ReasoningField;

    private static RawEntry ScanEntry(string text, ref int pos, int profileNumber, List<RawEntry> entriesSoFar)
    {
        int keyStart = pos;
        while (pos < text.Length && text[pos] is not ('=' or ',' or ';'))
        {
            pos++;
        }

        string keyText = text[keyStart..pos].Trim();
        if (pos >= text.Length || text[pos] != '=')
        {
            return new RawEntry(keyText, null, false);
        }

        pos++;
        while (pos < text.Length && char.IsWhiteSpace(text[pos]))
        {
            pos++;
        }

        if (pos < text.Length && text[pos] is '[' or '{' && !IsTextKey(keyText))
        {
            int valueStart = pos;
            pos = SkipJson(text, pos, profileNumber, entriesSoFar, keyText);
            string json = text[valueStart..pos];
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
            {
                pos++;
            }

            if (pos < text.Length && text[pos] is not (',' or ';'))
            {
                throw new ProfileParseException(
                    $"LLM_PARAMS: {Where(profileNumber, entriesSoFar, keyText)}: unexpected text after the JSON value {Quote(json)} (a JSON value must be followed by ',' or ';')");
            }

            return new RawEntry(keyText, json, true);
        }

        int start = pos;
        while (pos < text.Length && text[pos] is not (',' or ';'))
        {
            // A backslash takes the next character with it, so "\," and "\;" stay in the value.
            pos += text[pos] == '\\' ? 2 : 1;
        }

        pos = Math.Min(pos, text.Length);
        return new RawEntry(keyText, text[start..pos].Trim(), false);
    }

    private static int SkipJson(string text, int start, int profileNumber, List<RawEntry> entriesSoFar, string keyText)
    {
        int depth = 0;
        bool inString = false;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '[' or '{':
                    depth++;
                    break;
                case ']' or '}':
                    depth--;
                    if (depth == 0)
                    {
                        return i + 1;
                    }

                    break;
            }
        }

        string opening = text[start..Math.Min(text.Length, start + 30)];
        throw new ProfileParseException(
            $"LLM_PARAMS: {Where(profileNumber, entriesSoFar, keyText)}: unbalanced JSON value starting {Quote(opening)}: no matching '{(text[start] == '[' ? ']' : '}')}' before the end of LLM_PARAMS"
            + (inString ? " (a JSON string is not closed)" : string.Empty));
    }

    private static string Where(int profileNumber, List<RawEntry> entriesSoFar, string keyText)
    {
        string? model = entriesSoFar.Count > 0 && entriesSoFar[0].KeyText == "model" ? entriesSoFar[0].ValueText : null;
        return ProfileSetParser.Where(profileNumber, model, keyText);
    }

    private static string Quote(string text) => "\"" + text + "\"";
}
