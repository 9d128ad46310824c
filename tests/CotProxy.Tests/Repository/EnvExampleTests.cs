using System.Text.RegularExpressions;
using CotProxy.Tests.Support;
using CotProxy.Configuration;
using CotProxy.Profiles;

namespace CotProxy.Tests.Repository;

/// <summary>.env.example: every setting with its default and an explanation, and every example parses.</summary>
public sealed class EnvExampleTests : IDisposable
{
    private const string FileName = ".env.example";

    // Read by docker compose only (the published port), not a setting of the binary.
    private const string HostPort = "HOST_PORT";

    private static readonly Dictionary<string, string> s_noEnvironment = [];
    private static readonly Regex s_activeLine = new(@"^([A-Z_][A-Z0-9_]*)=", RegexOptions.CultureInvariant);
    private static readonly Regex s_alternativeLine = new(@"^# ([A-Z_][A-Z0-9_]*=.*)$", RegexOptions.CultureInvariant);

    private readonly DirectoryInfo _empty = Directory.CreateTempSubdirectory("cot-proxy-shipping-");

    public void Dispose() => _empty.Delete(recursive: true);

    /// <summary>Every commented-out KEY=VALUE line: the alternatives a user may uncomment.</summary>
    public static TheoryData<string> Alternatives() => [.. AlternativeLines()];

    [Fact]
    public void EnvExample_AsWritten_LoadsAndItsProfilesParseWithoutWarnings()
    {
        ProxySettings settings = Load(RepositoryFile.PathOf(FileName));
        var warnings = new List<string>();

        ProfileSet profiles = ProfileSet.Parse(settings.LlmParams, warnings);

        Assert.Empty(warnings);
        Assert.Equal(["default", "Qwen3-Thinking", "Qwen3-Clean"], profiles.Profiles.Select(p => p.Name));
        ModelProfile clean = profiles.Find("Qwen3-Clean")!;
        Assert.Equal("qwen3:14b", clean.UpstreamModelName);
        Assert.Equal("\n\n/no_think", clean.AppendToLastUserMessage);
        Assert.True(clean.EnableThinkTagFiltering);
        Assert.True(profiles.Find("Qwen3-Thinking")!.EnableThinkTagFiltering);
    }

    [Fact]
    public void EnvExample_EverySetting_HasAnActiveLine()
    {
        HashSet<string> active = ActiveKeys();

        List<string> missing = [.. SettingsCatalog.All.Select(s => s.Name).Where(name => !active.Contains(name))];

        Assert.Empty(missing);
    }

    [Fact]
    public void EnvExample_EveryActiveKey_IsASettingOrHostPort()
    {
        // The loader ignores keys it does not know, so a misspelt key would silently do nothing.
        HashSet<string> known = [.. SettingsCatalog.All.Select(s => s.Name), HostPort];

        List<string> unknown = [.. ActiveKeys().Where(key => !known.Contains(key))];

        Assert.Empty(unknown);
    }

    [Fact]
    public void EnvExample_CopiedAsIs_ChangesNoSettingButTheProfiles()
    {
        string defaults = SettingsText.Describe(Load(null));
        string fromExample = SettingsText.Describe(Load(RepositoryFile.PathOf(FileName)));

        Assert.Equal(ValuesWithoutProfiles(defaults), ValuesWithoutProfiles(fromExample));
    }

    [Fact]
    public void EnvExample_EverySetting_ExplainedByTheCommentAboveIt()
    {
        string[] lines = RepositoryFile.Lines(FileName);
        var unexplained = new List<string>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (!s_activeLine.IsMatch(lines[i]))
            {
                continue;
            }

            // Settings written together (THINK_TAG, THINK_END_TAG) share the comment above the first.
            int above = i - 1;
            while (above >= 0 && s_activeLine.IsMatch(lines[above]))
            {
                above--;
            }

            if (above < 0 || !lines[above].StartsWith("# ", StringComparison.Ordinal) || s_alternativeLine.IsMatch(lines[above]))
            {
                unexplained.Add(lines[i]);
            }
        }

        Assert.Empty(unexplained);
    }

    [Fact]
    public void EnvExample_Values_HoldNoDollarOrHash()
    {
        // docker compose's .env parser (compose-go dotenv) expands ${...} in unquoted values and cuts
        // them at '#', so such a value would reach the container changed.
        var offending = RepositoryFile.Lines(FileName)
            .Select(line => line.StartsWith("# ", StringComparison.Ordinal) ? line[2..] : line)
            .Where(line => s_activeLine.IsMatch(line))
            .Where(line => line.IndexOfAny(['$', '#']) >= 0)
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void EnvExample_HasEnoughAlternatives_ToCoverTheSeedExamples()
    {
        List<string> alternatives = AlternativeLines();

        Assert.Contains(alternatives, a => a.Contains("think_tag_start=<default_think>", StringComparison.Ordinal));
        Assert.Contains(alternatives, a => a.Contains(@"think_tag_start=\u003cthink\u003e", StringComparison.Ordinal));
        Assert.Contains(alternatives, a => a.StartsWith("TARGET_BASE_URL=", StringComparison.Ordinal) && a.Contains(":11434/", StringComparison.Ordinal));
        Assert.Contains(alternatives, a => a.Contains("think_mode=split", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Alternatives))]
    public void EnvExample_CommentedAlternative_LoadsAndParsesWithoutWarnings(string line)
    {
        string file = Path.Combine(_empty.FullName, "alternative.env");
        File.WriteAllText(file, line + "\n");
        ProxySettings settings = Load(file);
        var warnings = new List<string>();

        ProfileSet.Parse(settings.LlmParams, warnings);

        Assert.Empty(warnings);
    }

    private static List<string> AlternativeLines() =>
        [.. RepositoryFile.Lines(FileName).Select(line => s_alternativeLine.Match(line)).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    private static HashSet<string> ActiveKeys() =>
        [.. RepositoryFile.Lines(FileName).Select(line => s_activeLine.Match(line)).Where(m => m.Success).Select(m => m.Groups[1].Value)];

    /// <summary>The "NAME value" part of each line of SettingsText.Describe, without the source, LLM_PARAMS and the file name.</summary>
    private static List<string> ValuesWithoutProfiles(string description) =>
        [.. description.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith(SettingNames.LlmParams + " ", StringComparison.Ordinal) && !line.StartsWith("env file", StringComparison.Ordinal))
            .Select(line => line[..line.LastIndexOf("  (", StringComparison.Ordinal)])];

    private ProxySettings Load(string? envFile)
    {
        string[] args = envFile is null ? ["config"] : ["config", "--env-file", envFile];
        bool ok = SettingsLoader.TryLoad(args, s_noEnvironment, _empty.FullName, out ProxySettings settings, out string error);
        Assert.True(ok, error);
        return settings;
    }
}
