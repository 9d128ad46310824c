using System.Buffers;
using System.Text.Json;
using CotProxy.Profiles;

namespace CotProxy.Configuration;

/// <summary>
/// A config file's <c>profiles:</c> map, turned into the entries LLM_PARAMS would scan (<c>key</c>, <c>key?</c> for
/// <c>defaults:</c>, <c>!key</c> for <c>remove:</c>, nested maps as dotted keys) and built by the same
/// <see cref="ProfileSetParser"/>, so a value is typed and checked once, the same way in both. <c>inherit:</c> starts a
/// profile from another one's entries; <c>upstream:</c> names one upstream or a list of them.
/// </summary>
internal static class ConfigProfileReader
{
    public const string UpstreamKey = "upstream";
    public const string InheritKey = "inherit";
    public const string DefaultsKey = "defaults";
    public const string RemoveKey = "remove";

    private static readonly string[] s_structural = [UpstreamKey, InheritKey, DefaultsKey, RemoveKey];

    /// <summary>The profiles; problems go to <paramref name="report"/>. <paramref name="upstreams"/> is null when the file has no <c>upstreams:</c>.</summary>
    public static ProfileSet Read(ConfigNode node, ConfigErrors report, IReadOnlyList<string>? upstreams)
    {
        if (node.IsNull)
        {
            return ProfileSet.Empty;
        }

        if (node.Kind != ConfigNodeKind.Map)
        {
            report.Add(node.Line, $"`profiles` expects a map of model name (or pattern such as \"qwen3-*\") -> settings, found {node.KindText}");
            return ProfileSet.Empty;
        }

        var drafts = new Dictionary<string, Draft>(StringComparer.Ordinal);
        foreach (var (nameNode, body) in report.UniqueEntries(node, "profiles"))
        {
            var draft = new Draft(nameNode.Text, nameNode.Line);
            drafts.Add(draft.Name, draft);
            int before = report.Count;
            if (draft.Name.Length == 0)
            {
                report.Add(nameNode.Line, "a profile's name (its model name or pattern) is empty");
            }
            else if (body.Kind == ConfigNodeKind.Map)
            {
                ReadBody(draft, body, report, upstreams);
            }
            else if (!body.IsNull)
            {
                report.Add(body.Line, $"profile `{draft.Name}` expects a map of settings ({{ temperature: 0.6, upstream: local }}), found {body.KindText}");
            }

            // Each entry alone, so that every bad value is reported with its own line; the whole profile is built
            // below (keys that overlap, as "a" and "a.b" would, show only then).
            foreach (FileEntry entry in draft.Entries)
            {
                TryBuild(draft, [entry], [], report, out _);
            }

            draft.Failed = report.Count > before;
        }

        var profiles = new List<ModelProfile>();
        foreach (Draft draft in drafts.Values)
        {
            if (Resolve(draft, drafts, report, []) && !draft.Failed && !draft.InheritsFailure
                && TryBuild(draft, draft.Effective!, draft.EffectiveUpstreams!, report, out ModelProfile? profile))
            {
                profiles.Add(profile!);
            }
        }

        return ProfileSet.Of(profiles);
    }

    private static bool TryBuild(Draft draft, List<FileEntry> entries, IReadOnlyList<string> upstreams, ConfigErrors report, out ModelProfile? profile)
    {
        try
        {
            profile = ProfileSetParser.BuildFileProfile(draft.Name, [.. entries.Select(e => e.Raw)], upstreams, key =>
            {
                int line = key is null ? draft.Line : entries.FirstOrDefault(e => e.Key == key)?.Line ?? draft.Line;
                return $"{report.Path}:{line}: profile `{draft.Name}`" + (key is null ? "" : $", key `{key}`");
            });
            return true;
        }
        catch (ProfileParseException e)
        {
            report.Add(e.Message);
            profile = null;
            return false;
        }
    }

    private static void ReadBody(Draft draft, ConfigNode body, ConfigErrors report, IReadOnlyList<string>? upstreams)
    {
        string context = $"profile `{draft.Name}`";
        foreach (var (keyNode, value) in report.UniqueEntries(body, context))
        {
            string key = keyNode.Text;
            switch (key)
            {
                case UpstreamKey:
                    ReadUpstreams(draft, value, report, upstreams);
                    break;
                case InheritKey:
                    if (value.Kind == ConfigNodeKind.Scalar && !value.IsNull)
                    {
                        draft.Inherit = value.Text;
                        draft.InheritLine = value.Line;
                    }
                    else
                    {
                        report.Add(value.Line, $"{context}: `inherit` expects the name of another profile, found {value.KindText}");
                    }

                    break;
                case DefaultsKey:
                    if (value.Kind == ConfigNodeKind.Map)
                    {
                        foreach (var (field, fieldValue) in report.UniqueEntries(value, context + ", defaults"))
                        {
                            AddEntries(draft, field, field.Text, fieldValue, isDefault: true, report);
                        }
                    }
                    else
                    {
                        report.Add(value.Line, $"{context}: `defaults` expects a map of key: value used when the client sends none, found {value.KindText}");
                    }

                    break;
                case RemoveKey:
                    IReadOnlyList<ConfigNode> removed = value.Kind == ConfigNodeKind.List ? value.Items : [value];
                    foreach (ConfigNode item in removed)
                    {
                        if (item.Kind != ConfigNodeKind.Scalar || item.IsNull)
                        {
                            report.Add(item.Line, $"{context}: `remove` expects a list of keys to take out of the request, found {item.KindText}");
                        }
                        else if (Check(draft, item, item.Text, report))
                        {
                            draft.Entries.Add(new FileEntry(item.Text, new RawEntry("!" + item.Text, null, false), item.Line));
                        }
                    }

                    break;
                case ProfileKeys.Model:
                    report.Add(keyNode.Line, $"{context}: the profile's name is its model name; `upstream_model_name` changes the name sent upstream");
                    break;
                default:
                    AddEntries(draft, keyNode, key, value, isDefault: false, report);
                    break;
            }
        }
    }

    private static void ReadUpstreams(Draft draft, ConfigNode value, ConfigErrors report, IReadOnlyList<string>? upstreams)
    {
        IReadOnlyList<ConfigNode> names = value.Kind == ConfigNodeKind.List ? value.Items : [value];
        var found = new List<string>();
        foreach (ConfigNode name in names)
        {
            if (name.Kind != ConfigNodeKind.Scalar || name.IsNull)
            {
                report.Add(name.Line, $"profile `{draft.Name}`: `upstream` expects an upstream's name or a list of names, found {name.KindText}");
            }
            else if (upstreams is null)
            {
                report.Add(name.Line, $"profile `{draft.Name}`: upstream `{name.Text}` is not defined: the file has no upstreams: section");
            }
            else if (!upstreams.Contains(name.Text))
            {
                string? nearest = KeySuggestion.Nearest(name.Text, upstreams);
                report.Add(name.Line, $"profile `{draft.Name}`: unknown upstream `{name.Text}`"
                    + (nearest is null ? $" (upstreams: {string.Join(", ", upstreams)})" : $" — did you mean `{nearest}`?"));
            }
            else if (found.Contains(name.Text))
            {
                report.Add(name.Line, $"profile `{draft.Name}`: upstream `{name.Text}` is named twice");
            }
            else
            {
                found.Add(name.Text);
            }
        }

        draft.Upstreams = found;
    }

    /// <summary>One key and its value; a map below a key is its fields, as dotted keys (<c>a: {b: 1}</c> is <c>a.b=1</c>).</summary>
    private static void AddEntries(Draft draft, ConfigNode keyNode, string key, ConfigNode value, bool isDefault, ConfigErrors report)
    {
        if (!Check(draft, keyNode, key, report))
        {
            return;
        }

        if (value.Kind == ConfigNodeKind.Map && value.Entries.Count > 0)
        {
            foreach (var (field, fieldValue) in report.UniqueEntries(value, $"profile `{draft.Name}`, {key}"))
            {
                AddEntries(draft, field, key + "." + field.Text, fieldValue, isDefault, report);
            }

            return;
        }

        RawEntry raw = value.Kind switch
        {
            ConfigNodeKind.Scalar when value.IsNull => new RawEntry(key, "null", false),

            // LLM_PARAMS's escapes are decoded once more by the profile parser: a backslash YAML already decoded stays one.
            ConfigNodeKind.Scalar => new RawEntry(key, value.Text.Replace("\\", "\\\\", StringComparison.Ordinal), false),
            _ => new RawEntry(key, Json(value), true),
        };
        draft.Entries.Add(new FileEntry(key, isDefault ? raw with { KeyText = key + "?" } : raw, keyNode.Line));
    }

    /// <summary>Known keys pass; an unknown key within a few edits of a known one is taken for a misspelling.</summary>
    private static bool Check(Draft draft, ConfigNode keyNode, string key, ConfigErrors report)
    {
        if (KnownProfileKeys.NearMiss(key, s_structural) is { } nearest)
        {
            report.Add(keyNode.Line, $"profile `{draft.Name}`: unknown key `{key}` — did you mean `{nearest}`?");
            return false;
        }

        return true;
    }

    /// <summary>A list (or an empty map) as JSON: plain true, false, null and numbers as themselves, anything quoted as a string.</summary>
    private static string Json(ConfigNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, ConfigNode node)
    {
        switch (node.Kind)
        {
            case ConfigNodeKind.List:
                writer.WriteStartArray();
                foreach (ConfigNode item in node.Items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case ConfigNodeKind.Map:
                writer.WriteStartObject();
                foreach (var (key, value) in node.Entries)
                {
                    writer.WritePropertyName(key.Text);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case ConfigNodeKind.Scalar when node.IsNull:
                writer.WriteNullValue();
                break;
            case ConfigNodeKind.Scalar when !node.IsQuoted && node.Text is "true" or "false":
                writer.WriteBooleanValue(node.Text == "true");
                break;
            case ConfigNodeKind.Scalar when !node.IsQuoted && ProfileValueTyper.IsJsonNumber(node.Text):
                writer.WriteRawValue(node.Text);
                break;
            default:
                writer.WriteStringValue(node.Text);
                break;
        }
    }

    /// <summary>The entries after <c>inherit:</c> (the parent's, less those this profile sets again, then its own); false on a loop or an unknown parent.</summary>
    private static bool Resolve(Draft draft, Dictionary<string, Draft> drafts, ConfigErrors report, List<string> chain)
    {
        if (draft.Effective is not null)
        {
            return true;
        }

        if (draft.Inherit is null)
        {
            draft.Effective = draft.Entries;
            draft.EffectiveUpstreams = draft.Upstreams ?? [];
            return true;
        }

        if (!drafts.TryGetValue(draft.Inherit, out Draft? parent))
        {
            string? nearest = KeySuggestion.Nearest(draft.Inherit, drafts.Keys);
            report.Add(draft.InheritLine, $"profile `{draft.Name}`: inherits unknown profile `{draft.Inherit}`" + (nearest is null ? "" : $" — did you mean `{nearest}`?"));
            return false;
        }

        if (parent == draft || chain.Contains(parent.Name))
        {
            report.Add(draft.InheritLine, $"profile `{draft.Name}`: inherit makes a loop ({string.Join(" -> ", chain.Append(draft.Name).Append(parent.Name))})");
            return false;
        }

        chain.Add(draft.Name);
        if (!Resolve(parent, drafts, report, chain))
        {
            return false;
        }

        draft.InheritsFailure = parent.Failed || parent.InheritsFailure;
        var own = draft.Entries.Select(e => e.Key).ToList();
        draft.Effective = [.. parent.Effective!.Where(e => !own.Any(k => Overlaps(k, e.Key))), .. draft.Entries];
        draft.EffectiveUpstreams = draft.Upstreams ?? parent.EffectiveUpstreams;
        return true;
    }

    // "a" set again replaces the parent's "a" and "a.b"; "a.b" replaces the parent's "a.b" and "a" (the object it sat in).
    private static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + ".", StringComparison.Ordinal) || b.StartsWith(a + ".", StringComparison.Ordinal);

    private sealed record FileEntry(string Key, RawEntry Raw, int Line);

    private sealed class Draft(string name, int line)
    {
        public string Name { get; } = name;

        public int Line { get; } = line;

        public List<FileEntry> Entries { get; } = [];

        public List<string>? Upstreams { get; set; }

        public string? Inherit { get; set; }

        public int InheritLine { get; set; }

        public bool Failed { get; set; }

        public bool InheritsFailure { get; set; }

        public List<FileEntry>? Effective { get; set; }

        public IReadOnlyList<string>? EffectiveUpstreams { get; set; }
    }
}
