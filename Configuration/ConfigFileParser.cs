using CotProxy.Profiles;

namespace CotProxy.Configuration;

/// <summary>
/// Checks a config file's YAML and turns it into a <see cref="ConfigFile"/>. Every problem is collected, not only the
/// first, each as <c>PATH:LINE: what is wrong</c>; a misspelt key gets the nearest known one as a suggestion.
/// </summary>
internal static class ConfigFileParser
{
    public const string UpstreamsKey = "upstreams";
    public const string ProfilesKey = "profiles";
    public const string KeysKey = "keys";

    private static readonly string[] s_upstreamFields = ["base_url", "api_key", "api_key_header", "timeout", "max_concurrent"];

    // Settings a file cannot hold at its top level, and what to write instead.
    private static readonly Dictionary<string, string> s_replacedSettings = new(StringComparer.Ordinal)
    {
        [SettingNames.LlmParams] = "write its profiles under profiles:",
        [SettingNames.ProxyApiKeys] = "write the keys as a list under keys:",
        [SettingNames.CotConfig] = "a config file cannot name another",
    };

    // Settings an upstream of the file replaces.
    private static readonly string[] s_upstreamSettings = [SettingNames.TargetBaseUrl, SettingNames.TargetApiKey, SettingNames.TargetApiKeyHeader];

    /// <summary>Reads and checks the file at <paramref name="path"/>; false with every error, one per line.</summary>
    public static bool TryLoad(string path, out ConfigFile? file, out IReadOnlyList<string> errors)
    {
        file = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors = [$"{path}: cannot read the config file (COT_CONFIG): {Logging.ExceptionText.Describe(ex)}"];
            return false;
        }

        return TryParse(path, text, out file, out errors);
    }

    /// <summary>Checks <paramref name="text"/> as the file at <paramref name="path"/>.</summary>
    public static bool TryParse(string path, string text, out ConfigFile? file, out IReadOnlyList<string> errors)
    {
        file = null;
        var problems = new List<string>();
        errors = problems;
        if (!ConfigNodeReader.TryRead(text, out ConfigNode root, out string syntax))
        {
            problems.Add($"{path}: {syntax}");
            return false;
        }

        var report = new ConfigErrors(path, problems);
        var settings = new Dictionary<string, ConfigValue>(StringComparer.Ordinal);
        var upstreams = new List<UpstreamSettings>();
        ConfigNode? profilesNode = null;
        bool hasUpstreams = false;
        if (root.Kind != ConfigNodeKind.Map)
        {
            report.Add(root.Line, $"expected a map of settings (upstreams:, profiles:, keys:, port: ...), found {root.KindText}");
            return false;
        }

        foreach (var (keyNode, value) in report.UniqueEntries(root, "the file"))
        {
            string key = keyNode.Text;
            switch (key)
            {
                case UpstreamsKey when value.IsNull:
                    // "upstreams:" with nothing under it, as a template leaves it: no upstreams named.
                    break;
                case UpstreamsKey:
                    hasUpstreams = true;
                    ReadUpstreams(value, report, upstreams);
                    break;
                case ProfilesKey:
                    profilesNode = value;
                    break;
                case KeysKey:
                    ReadKeys(value, report, settings);
                    break;
                default:
                    ReadSetting(keyNode, value, report, settings);
                    break;
            }
        }

        if (hasUpstreams)
        {
            foreach (string name in s_upstreamSettings)
            {
                if (settings.Remove(name, out ConfigValue? conflicting))
                {
                    report.Add(conflicting.Line, $"`{name.ToLowerInvariant()}` beside upstreams: set the upstream's base_url, api_key or api_key_header instead");
                }
            }
        }

        ProfileSet profiles = profilesNode is null
            ? ProfileSet.Empty
            : ConfigProfileReader.Read(profilesNode, report, hasUpstreams ? upstreams.Select(u => u.Name).ToList() : null);

        if (problems.Count > 0)
        {
            // In the order of the file's lines (sections are read one after the other, profiles after the rest).
            var ordered = problems.OrderBy(p => LineOf(p, path)).ToList();
            problems.Clear();
            problems.AddRange(ordered);
            return false;
        }

        file = new ConfigFile { Path = path, Settings = settings, Upstreams = upstreams, Profiles = profiles };
        return true;
    }

    /// <summary>The lower-case names a file's top level takes: every setting but those it has a section for.</summary>
    public static IEnumerable<string> TopLevelKeys =>
        new[] { UpstreamsKey, ProfilesKey, KeysKey }
            .Concat(SettingsCatalog.All.Where(s => !s_replacedSettings.ContainsKey(s.Name)).Select(s => s.Name.ToLowerInvariant()));

    private static void ReadSetting(ConfigNode keyNode, ConfigNode value, ConfigErrors report, Dictionary<string, ConfigValue> settings)
    {
        string key = keyNode.Text;
        SettingInfo? setting = SettingsCatalog.All.FirstOrDefault(s => s.Name.Equals(key, StringComparison.OrdinalIgnoreCase) && !key.Any(char.IsUpper));
        if (setting is null)
        {
            report.Unknown(keyNode, TopLevelKeys);
            return;
        }

        if (s_replacedSettings.TryGetValue(setting.Name, out string? instead))
        {
            report.Add(keyNode.Line, $"`{key}` does not belong in a config file: {instead}");
            return;
        }

        // A list is what the environment writes comma-separated (trusted_proxies, cors_allow_origins).
        string? text = value.Kind switch
        {
            ConfigNodeKind.Scalar => value.IsNull ? "" : value.Text,
            ConfigNodeKind.List when value.Items.All(i => i.Kind == ConfigNodeKind.Scalar) => string.Join(",", value.Items.Select(i => i.Text)),
            _ => null,
        };
        if (text is null)
        {
            report.Add(value.Line, $"`{key}` expects a value, found {value.KindText}");
            return;
        }

        settings[setting.Name] = new ConfigValue(text, keyNode.Line);
    }

    private static void ReadKeys(ConfigNode value, ConfigErrors report, Dictionary<string, ConfigValue> settings)
    {
        if (value.Kind != ConfigNodeKind.List)
        {
            report.Add(value.Line, $"`keys` expects a list of the keys clients may send (- sk-...), found {value.KindText}");
            return;
        }

        var keys = new List<string>();
        foreach (ConfigNode item in value.Items)
        {
            // The keys travel as PROXY_API_KEYS does, comma-separated; a key is one header token anyway.
            if (item.Kind != ConfigNodeKind.Scalar || item.IsNull || item.Text.Any(c => c == ',' || char.IsWhiteSpace(c)))
            {
                report.Add(item.Line, "`keys` entry: expected one key without commas or spaces");
                continue;
            }

            keys.Add(item.Text);
        }

        settings[SettingNames.ProxyApiKeys] = new ConfigValue(string.Join(",", keys), value.Line);
    }

    private static void ReadUpstreams(ConfigNode node, ConfigErrors report, List<UpstreamSettings> upstreams)
    {
        if (node.Kind != ConfigNodeKind.Map)
        {
            report.Add(node.Line, $"`upstreams` expects a map of name -> {{ base_url: ..., api_key: ..., timeout: ... }}, found {node.KindText}");
            return;
        }

        foreach (var (nameNode, body) in report.UniqueEntries(node, "upstreams"))
        {
            string name = nameNode.Text;
            if (body.Kind != ConfigNodeKind.Map)
            {
                report.Add(body.Line, $"upstream `{name}` expects a map {{ base_url: ..., api_key: ..., timeout: ... }}, found {body.KindText}");
                continue;
            }

            Uri? baseUrl = null;
            string? apiKey = null;
            string header = "Authorization";
            TimeSpan? timeout = null;
            int? maxConcurrent = null;
            foreach (var (fieldNode, value) in report.UniqueEntries(body, $"upstream `{name}`"))
            {
                string field = fieldNode.Text;
                if (!s_upstreamFields.Contains(field))
                {
                    report.Unknown(fieldNode, s_upstreamFields, $"upstream `{name}`: ");
                    continue;
                }

                if (value.Kind != ConfigNodeKind.Scalar || value.IsNull)
                {
                    report.Add(value.Line, $"upstream `{name}`: `{field}` expects a value, found {value.KindText}");
                    continue;
                }

                string text = value.Text;
                switch (field)
                {
                    case "base_url":
                        if (SettingValueParser.TryParseTargetUrl(text, out Uri url, out string reason))
                        {
                            baseUrl = url;
                        }
                        else
                        {
                            report.Add(value.Line, $"upstream `{name}`: `base_url` {Quote(Logging.LogRedaction.UrlUserInfo(text))}: {reason}");
                        }

                        break;
                    case "api_key":
                        apiKey = text;
                        break;
                    case "api_key_header":
                        if (SettingValueParser.IsHeaderName(text))
                        {
                            header = text;
                        }
                        else
                        {
                            report.Add(value.Line, $"upstream `{name}`: `api_key_header` {Quote(text)}: expected a header name such as x-api-key or Authorization");
                        }

                        break;
                    case "timeout":
                        if (SettingValueParser.TryParseSeconds(text, out TimeSpan seconds))
                        {
                            timeout = seconds;
                        }
                        else
                        {
                            report.Add(value.Line, $"upstream `{name}`: `timeout` {Quote(text)}: {SettingValueParser.DurationSyntax}");
                        }

                        break;
                    default:
                        if (SettingValueParser.TryParseInteger(text, 1, 1_000_000, out int cap))
                        {
                            maxConcurrent = cap;
                        }
                        else
                        {
                            report.Add(value.Line, $"upstream `{name}`: `max_concurrent` {Quote(text)}: expected a whole number from 1 to 1000000");
                        }

                        break;
                }
            }

            if (baseUrl is null)
            {
                if (!body.Entries.Any(e => e.Key.Text == "base_url"))
                {
                    report.Add(nameNode.Line, $"upstream `{name}` has no base_url (where it is, e.g. http://localhost:8080/v1)");
                }

                continue;
            }

            upstreams.Add(new UpstreamSettings(name, baseUrl, apiKey, header, timeout, maxConcurrent, nameNode.Line));
        }
    }

    private static string Quote(string text) => "\"" + text + "\"";

    /// <summary>The line number after "PATH:" at the start of a problem.</summary>
    private static int LineOf(string problem, string path)
    {
        int start = path.Length + 1;
        int end = start;
        while (end < problem.Length && char.IsAsciiDigit(problem[end]))
        {
            end++;
        }

        return int.TryParse(problem.AsSpan(start, end - start), System.Globalization.CultureInfo.InvariantCulture, out int line) ? line : 0;
    }
}
