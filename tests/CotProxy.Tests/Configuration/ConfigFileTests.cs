using CotProxy.Configuration;
using CotProxy.Profiles;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Configuration;

/// <summary>COT_CONFIG: the issue's example, every validation error with its line and suggestion, and the precedence rules.</summary>
public sealed class ConfigFileTests : IDisposable
{
    /// <summary>The file exactly as issue 16 shows it.</summary>
    private const string IssueExample = """
        upstreams:                    # name -> where it is
          local:  { base_url: http://localhost:8080/v1, timeout: 300 }
          hosted: { base_url: https://api.example.com/v1, api_key: sk-..., timeout: 60 }
        profiles:                     # model name or glob -> profile; any LLM_PARAMS key, written flat
          "qwen3-*": { upstream: local, enable_think_tag_filtering: true, temperature: 0.6 }
          qwen3-creative: { inherit: "qwen3-*", temperature: 1.0 }
          gpt-4o: { upstream: hosted }
          mixed: { upstream: [local, hosted] }
        """;

    private static readonly Dictionary<string, string> s_noEnvironment = [];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Parse_IssueExample_UpstreamsAndProfilesAsWritten()
    {
        ConfigFile file = Parse(IssueExample);

        Assert.Collection(
            file.Upstreams,
            local =>
            {
                Assert.Equal(("local", "http://localhost:8080/v1/", null, "Authorization", 300.0, 2), (local.Name, local.BaseUrl.AbsoluteUri, local.ApiKey, local.ApiKeyHeader, local.Timeout!.Value.TotalSeconds, local.Line));
            },
            hosted =>
            {
                Assert.Equal(("hosted", "https://api.example.com/v1/", "sk-...", 60.0, 3), (hosted.Name, hosted.BaseUrl.AbsoluteUri, hosted.ApiKey, hosted.Timeout!.Value.TotalSeconds, hosted.Line));
            });
        Assert.Equal(["qwen3-*", "qwen3-creative", "gpt-4o", "mixed"], file.Profiles.Profiles.Select(p => p.Name));

        ModelProfile glob = file.Profiles.Get("qwen3-*")!;
        Assert.Equal(["local"], glob.Upstreams);
        Assert.True(glob.EnableThinkTagFiltering);
        Assert.Equal("temperature=0.6 (number)", Assert.Single(glob.Entries).Describe());

        // inherit: the parent's filtering and upstream, its own temperature.
        ModelProfile creative = file.Profiles.Get("qwen3-creative")!;
        Assert.Equal(["local"], creative.Upstreams);
        Assert.True(creative.EnableThinkTagFiltering);
        Assert.Equal("temperature=1.0 (number)", Assert.Single(creative.Entries).Describe());

        Assert.Equal(["hosted"], file.Profiles.Get("gpt-4o")!.Upstreams);
        Assert.Equal(["local", "hosted"], file.Profiles.Get("mixed")!.Upstreams);

        // The exact name beats the pattern that also matches it; a model no pattern matches has no profile.
        Assert.Equal("qwen3-creative", file.Profiles.Find("qwen3-creative")?.Name);
        Assert.Equal("qwen3-*", file.Profiles.Find("qwen3-32b")?.Name);
        Assert.Null(file.Profiles.Find("llama3"));
    }

    [Fact]
    public void Parse_EmptySections_NothingNamed()
    {
        ConfigFile file = Parse("upstreams:\nprofiles:\nkeys: []\n");

        Assert.Empty(file.Upstreams);
        Assert.Empty(file.Profiles.Profiles);
    }

    [Fact]
    public void Parse_DefaultsRemoveAndNestedMaps_BecomeLlmParamsEntries()
    {
        ConfigFile file = Parse("""
            profiles:
              m:
                chat_template_kwargs: { enable_thinking: false }
                stop: ["</s>", 7, true]
                append_to_last_user_message: "\n\n/no_think"
                think_tag_start: "[THINK]"
                defaults: { top_k: 20, options: { num_ctx: 8192 } }
                remove: [seed, logit_bias]
            """);

        ModelProfile m = file.Profiles.Get("m")!;
        Assert.Equal(
            ["chat_template_kwargs.enable_thinking=false (boolean)", "stop=[\"</s>\",7,true] (array)", "top_k?=20 (number, default)", "options.num_ctx?=8192 (number, default)", "!seed", "!logit_bias"],
            m.Entries.Select(e => e.Describe()));
        Assert.Equal("\n\n/no_think", m.AppendToLastUserMessage);
        Assert.Equal("[THINK]", m.ThinkTagStart);
    }

    [Fact]
    public void Parse_BackslashInAValue_StaysOneBackslash()
    {
        ModelProfile m = Parse("profiles:\n  m: { grammar: 'root ::= \"a\\b\"' }\n").Profiles.Get("m")!;

        Assert.Equal("grammar=\"root ::= \\\"a\\\\b\\\"\" (string)", Assert.Single(m.Entries).Describe());
    }

    public static TheoryData<string, string> OneError => new()
    {
        { "prot: 8080\n", ":1: unknown key `prot` — did you mean `port`?" },
        { "profiles:\n  m: { temprature: 0.6 }\n", ":2: profile `m`: unknown key `temprature` — did you mean `temperature`?" },
        { "profiles:\n  m:\n    enable_think_tag_filtring: true\n", ":3: profile `m`: unknown key `enable_think_tag_filtring` — did you mean `enable_think_tag_filtering`?" },
        { "profiles:\n  m: { defaults: { top_pp: 1 } }\n", ":2: profile `m`: unknown key `top_pp` — did you mean `top_p`?" },
        { "profiles:\n  m: { inheritt: x }\n", ":2: profile `m`: unknown key `inheritt` — did you mean `inherit`?" },
        { "upstreams:\n  a: { base_url: http://h/v1, timeot: 3 }\n", ":2: upstream `a`: unknown key `timeot` — did you mean `timeout`?" },
        { "upstreams:\n  a: { base_url: http://h/v1 }\nprofiles:\n  m: { upstream: b }\n", ":4: profile `m`: unknown upstream `b` (upstreams: a)" },
        { "upstreams:\n  local: { base_url: http://h/v1 }\nprofiles:\n  m: { upstream: [locl] }\n", ":4: profile `m`: unknown upstream `locl` — did you mean `local`?" },
        { "profiles:\n  m: { upstream: local }\n", ":2: profile `m`: upstream `local` is not defined: the file has no upstreams: section" },
        { "profiles:\n  m: { inherit: n }\n", ":2: profile `m`: inherits unknown profile `n`" },
        { "profiles:\n  m: { temperature: warm }\n", ":2: profile `m`, key `temperature`: expects a number (e.g. 0.7), got \"warm\"" },
        { "profiles:\n  m:\n    think_mode: hide\n", ":3: profile `m`, key `think_mode`: expects strip, split, merge or keep, got \"hide\"" },
        { "profiles:\n  m: { defaults: { think_mode: keep } }\n", ":2: profile `m`, key `think_mode`: is a proxy setting: it takes key=value, not key?=value or !key" },
        { "profiles:\n  m: { model: x }\n", ":2: profile `m`: the profile's name is its model name; `upstream_model_name` changes the name sent upstream" },
        { "upstreams:\n  a: { timeout: 3 }\n", ":2: upstream `a` has no base_url (where it is, e.g. http://localhost:8080/v1)" },
        { "upstreams:\n  a: { base_url: ftp://h }\n", ":2: upstream `a`: `base_url` \"ftp://h\": " },
        { "upstreams:\n  a: { base_url: http://h, timeout: soon }\n", ":2: upstream `a`: `timeout` \"soon\": expected seconds" },
        { "upstreams:\n  a: { base_url: http://h, max_concurrent: 0 }\n", ":2: upstream `a`: `max_concurrent` \"0\": expected a whole number from 1 to 1000000" },
        { "upstreams:\n  a: { base_url: http://h, api_key_header: 'x key' }\n", ":2: upstream `a`: `api_key_header` \"x key\": expected a header name" },
        { "upstreams:\n  a: { base_url: http://h }\ntarget_base_url: http://other\n", ":3: `target_base_url` beside upstreams: set the upstream's base_url, api_key or api_key_header instead" },
        { "llm_params: model=a\n", ":1: `llm_params` does not belong in a config file: write its profiles under profiles:" },
        { "keys: sk-1\n", ":1: `keys` expects a list of the keys clients may send" },
        { "port:\n  a: 1\n", ":2: `port` expects a value, found a map" },
        { "profiles:\n  m: {}\n  m: {}\n", ":3: profiles: key `m` is given twice (first on line 2)" },
        { "profiles:\n  a: { inherit: b }\n  b: { inherit: a }\n", ":2: profile `a`: inherit makes a loop (b -> a -> b)" },
        { "profiles: [a, b]\n", ":1: `profiles` expects a map" },
        { "port: [1\n", ": line 2: not valid YAML: " },
    };

    [Theory]
    [MemberData(nameof(OneError))]
    public void Parse_Mistake_NamesFileLineAndKey(string yaml, string expected)
    {
        IReadOnlyList<string> errors = ParseErrors(yaml);

        Assert.Contains(errors, e => e.StartsWith(Path.Combine(_directory.Path, "cot.yaml") + expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_SeveralMistakes_EveryOneReportedInLineOrder()
    {
        IReadOnlyList<string> errors = ParseErrors("""
            upstreams:
              local: { base_url: http://localhost:8080/v1, timeot: 300 }
            prot: 8080
            profiles:
              "qwen3-*": { upstream: locl, temprature: 0.6, top_k: many }
              b: { inherit: c }
              c:
                enable_think_tag_filtering: maybe
            """);

        string path = Path.Combine(_directory.Path, "cot.yaml");
        Assert.Equal(
            [
                path + ":2: upstream `local`: unknown key `timeot` — did you mean `timeout`?",
                path + ":3: unknown key `prot` — did you mean `port`?",
                path + ":5: profile `qwen3-*`: unknown upstream `locl` — did you mean `local`?",
                path + ":5: profile `qwen3-*`: unknown key `temprature` — did you mean `temperature`?",
                path + ":5: profile `qwen3-*`, key `top_k`: expects an integer (e.g. 40), got \"many\"",
                path + ":8: profile `c`, key `enable_think_tag_filtering`: expects true or false, got \"maybe\"",
            ],
            errors);
    }

    [Fact]
    public void Parse_UnknownKeyFarFromAnyKnownOne_IsAModelParameter()
    {
        ModelProfile m = Parse("profiles:\n  m: { mirostat_mode: 2, my_server_flag: on }\n").Profiles.Get("m")!;

        Assert.Equal(["mirostat_mode=2 (number)", "my_server_flag=\"on\" (string)"], m.Entries.Select(e => e.Describe()));
    }

    [Fact]
    public void Load_LlmParamsBesideCotConfig_RefusedWithAMessageToMoveIt()
    {
        string file = _directory.Write("cot.yaml", "profiles: {}\n");

        bool ok = SettingsLoader.TryLoad([], new Dictionary<string, string> { ["COT_CONFIG"] = file, ["LLM_PARAMS"] = "model=a,temperature=1" }, _directory.Path, out _, out string error);

        Assert.False(ok);
        Assert.Equal($"LLM_PARAMS (from the environment) cannot be used beside COT_CONFIG ({file}): move its profiles into the file's profiles: section and unset LLM_PARAMS", error);
    }

    [Fact]
    public void Load_OneUpstream_ReplacesTargetSettingsWhereverTheyWereSet()
    {
        string file = _directory.Write("cot.yaml", "upstreams:\n  local: { base_url: http://127.0.0.1:8080/v1, api_key: sk-file, api_key_header: x-api-key, timeout: 300 }\n");
        _directory.Write(".env", "TARGET_API_KEY=sk-dotenv\n");

        ProxySettings s = LoadWith(new() { ["COT_CONFIG"] = file, ["TARGET_BASE_URL"] = "http://env:1/v1", ["API_REQUEST_TIMEOUT"] = "5" });

        Assert.Equal("http://127.0.0.1:8080/v1/", s.TargetBaseUrl.AbsoluteUri);
        Assert.Equal("sk-file", s.TargetApiKey);
        Assert.Equal("x-api-key", s.TargetApiKeyHeader);
        Assert.Equal(TimeSpan.FromSeconds(300), s.ApiRequestTimeout);
        Assert.Equal(SettingSource.ConfigFile, s.SourceOf("TARGET_BASE_URL"));
        Assert.Contains(s.Warnings, w => w.StartsWith("TARGET_BASE_URL from the environment is not used: the config file's upstream `local`", StringComparison.Ordinal));
        Assert.Contains(s.Warnings, w => w.StartsWith("TARGET_API_KEY from the .env file is not used", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_TopLevelSetting_EnvironmentWinsOverTheFileAndTheFileOverDotEnv()
    {
        string file = _directory.Write("cot.yaml", "port: 6000\nconnect_timeout: 4\nkeys: [sk-a, sk-b]\ncors_allow_origins: [https://a.example, https://b.example]\n");
        _directory.Write(".env", "PORT=5500\nCONNECT_TIMEOUT=3\nSHUTDOWN_TIMEOUT=9\n");

        ProxySettings s = LoadWith(new() { ["COT_CONFIG"] = file, ["PORT"] = "7000" });

        Assert.Equal((7000, SettingSource.Environment), (s.Port, s.SourceOf("PORT")));
        Assert.Equal((4.0, SettingSource.ConfigFile), (s.ConnectTimeout.TotalSeconds, s.SourceOf("CONNECT_TIMEOUT")));
        Assert.Equal((9.0, SettingSource.EnvFile), (s.ShutdownTimeout.TotalSeconds, s.SourceOf("SHUTDOWN_TIMEOUT")));
        Assert.Equal(["sk-a", "sk-b"], s.ProxyApiKeys);
        Assert.Equal(["https://a.example", "https://b.example"], s.CorsAllowOrigins);
    }

    [Fact]
    public void Load_BadTopLevelValue_NamesTheFileAndLine()
    {
        string file = _directory.Write("cot.yaml", "# listening\n\nport: 70000\n");

        bool ok = SettingsLoader.TryLoad([], new Dictionary<string, string> { ["COT_CONFIG"] = file }, _directory.Path, out _, out string error);

        Assert.False(ok);
        Assert.StartsWith($"invalid PORT \"70000\" (from {file}:3): expected a whole number from 0 to 65535", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralUpstreams_TheFirstIsTheTargetAndConfigPrintsThemAll()
    {
        string file = _directory.Write("cot.yaml", IssueExample);
        var environment = new Dictionary<string, string> { ["COT_CONFIG"] = file };

        Assert.True(SettingsLoader.TryLoad([], environment, _directory.Path, out ProxySettings serving, out string error), error);
        Assert.Equal(("http://localhost:8080/v1/", null), (serving.TargetBaseUrl.AbsoluteUri, serving.TargetApiKey));

        // With several, each keeps its own timeout: API_REQUEST_TIMEOUT stays for those that name none.
        Assert.Equal(ProxySettings.DefaultApiRequestTimeout, serving.ApiRequestTimeout);

        Assert.True(SettingsLoader.TryLoad(["config"], environment, _directory.Path, out ProxySettings settings, out error), error);
        string text = SettingsText.Describe(settings);
        Assert.Contains($"  local  http://localhost:8080/v1/  no key  timeout 300 s  ({file}:2)\n", text, StringComparison.Ordinal);
        Assert.Contains($"  hosted  https://api.example.com/v1/  key *** in Authorization  timeout 60 s  ({file}:3)\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-...", text, StringComparison.Ordinal);
        Assert.Contains($"COT_CONFIG                  {file}  (environment)\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralUpstreamsOneNamedDefault_ThatOneIsTheTargetWithItsKey()
    {
        string file = _directory.Write("cot.yaml", "upstreams:\n  a: { base_url: http://127.0.0.1:1/v1 }\n  default: { base_url: http://127.0.0.1:2/v1, api_key: sk-d, api_key_header: x-api-key }\n");

        ProxySettings settings = LoadWith(new Dictionary<string, string> { ["COT_CONFIG"] = file, ["TARGET_BASE_URL"] = "http://127.0.0.1:3/v1" });

        Assert.Equal(("http://127.0.0.1:2/v1/", "sk-d", "x-api-key"), (settings.TargetBaseUrl.AbsoluteUri, settings.TargetApiKey, settings.TargetApiKeyHeader));
        Assert.Equal("default", SettingsLoader.DefaultUpstream(settings.Upstreams).Name);
    }

    [Fact]
    public void Load_ErrorsInTheFile_AllListedUnderOneHeading()
    {
        string file = _directory.Write("cot.yaml", "prot: 1\nhots: x\n");

        Assert.False(SettingsLoader.TryLoad([], new Dictionary<string, string> { ["COT_CONFIG"] = file }, _directory.Path, out _, out string error));

        Assert.Equal($"COT_CONFIG (from the environment): 2 errors in the config file:\n  {file}:1: unknown key `prot` — did you mean `port`?\n  {file}:2: unknown key `hots` — did you mean `host`?", error);
    }

    [Fact]
    public void Load_UnknownDotEnvKey_WarnsWithTheNearestSettingAndStarts()
    {
        string env = _directory.Write(".env", "# settings\nPROT=8080\nHOST_PORT=5000\nMY_OWN_THING=1\n");

        ProxySettings s = Load([]);

        Assert.Equal(
            [$"{env}:2: unknown setting `PROT` — did you mean `PORT`? (ignored)", $"{env}:4: unknown setting `MY_OWN_THING` (ignored)"],
            s.Warnings);
    }

    [Fact]
    public void LlmParams_KeyNearAKnownOne_WarnedAndStillForwarded()
    {
        var warnings = new List<string>();

        ProfileSet profiles = ProfileSet.Parse("model=m,temprature=0.6,top_k=20,my_flag=1,enable_think_tag_filterin=true", warnings);

        Assert.Equal(
            [
                "LLM_PARAMS: profile 1 (model=m), key \"temprature\": unknown key `temprature` — did you mean `temperature`? (forwarded to the model as written)",
                "LLM_PARAMS: profile 1 (model=m), key \"enable_think_tag_filterin\": unknown key `enable_think_tag_filterin` — did you mean `enable_think_tag_filtering`? (forwarded to the model as written)",
            ],
            warnings);
        Assert.Contains("temprature=0.6 (number)", profiles.Get("m")!.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleFile_LoadsAndStartsWithoutWarnings()
    {
        string example = RepositoryFile.PathOf("cot-proxy.example.yaml");

        ProxySettings s = LoadWith(new() { ["COT_CONFIG"] = example });

        Assert.Empty(s.Warnings);
        Assert.Equal(["local", "hosted"], s.Upstreams.Select(u => u.Name));
        Assert.NotEmpty(s.ConfigFile!.Profiles.Profiles);
    }

    [Fact]
    public void ExampleFile_ShowsEveryKey()
    {
        string[] lines = File.ReadAllLines(RepositoryFile.PathOf("cot-proxy.example.yaml"));
        bool Shows(string key) => lines.Any(l => l.TrimStart(' ', '#').StartsWith(key + ":", StringComparison.Ordinal) || l.Contains(" " + key + ":", StringComparison.Ordinal));

        string[] expected =
        [
            .. ConfigFileParser.TopLevelKeys.Except(["target_base_url", "target_api_key", "target_api_key_header"]),
            "base_url", "api_key", "api_key_header", "timeout", "max_concurrent",
            .. KnownProfileKeys.Directives.Except([ProfileKeys.Model]),
            ConfigProfileReader.UpstreamKey, ConfigProfileReader.InheritKey, ConfigProfileReader.DefaultsKey, ConfigProfileReader.RemoveKey,
        ];
        Assert.Equal([], expected.Where(k => !Shows(k)));
    }

    private ConfigFile Parse(string yaml)
    {
        bool ok = ConfigFileParser.TryParse(Path.Combine(_directory.Path, "cot.yaml"), yaml, out ConfigFile? file, out IReadOnlyList<string> errors);
        Assert.True(ok, string.Join("\n", errors));
        return file!;
    }

    private IReadOnlyList<string> ParseErrors(string yaml)
    {
        bool ok = ConfigFileParser.TryParse(Path.Combine(_directory.Path, "cot.yaml"), yaml, out _, out IReadOnlyList<string> errors);
        Assert.False(ok);
        return errors;
    }

    private ProxySettings LoadWith(Dictionary<string, string> environment)
    {
        bool ok = SettingsLoader.TryLoad([], environment, _directory.Path, out ProxySettings settings, out string error);
        Assert.True(ok, error);
        return settings;
    }

    private ProxySettings Load(string[] args)
    {
        bool ok = SettingsLoader.TryLoad(args, s_noEnvironment, _directory.Path, out ProxySettings settings, out string error);
        Assert.True(ok, error);
        return settings;
    }
}
