using System.Globalization;
using System.Text.RegularExpressions;
using CotProxy.Tests.Support;
using CotProxy.Configuration;

namespace CotProxy.Tests.Repository;

/// <summary>docker-compose.yml, the Dockerfile and .dockerignore agree with the settings and with each other.</summary>
public sealed class ContainerFilesTests
{
    private const string Compose = "docker-compose.yml";
    private const string Dockerfile = "Dockerfile";
    private const string Binary = "/app/cot-proxy";

    // "      NAME: "value"" inside the service's environment: block.
    private static readonly Regex s_environmentEntry = new(@"^      ([A-Z_][A-Z0-9_]*): ""(.*)""$", RegexOptions.CultureInvariant);

    private static readonly string s_defaultPort = ProxySettings.DefaultPort.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Compose_EverySetting_InTheEnvironment()
    {
        Dictionary<string, string> environment = ComposeEnvironment();

        List<string> missing = [.. SettingsCatalog.All.Select(s => s.Name).Where(name => !environment.ContainsKey(name))];
        List<string> unknown = [.. environment.Keys.Where(key => !SettingsCatalog.All.Any(s => s.Name == key))];

        Assert.Empty(missing);
        Assert.Empty(unknown);
    }

    [Fact]
    public void Compose_EachSubstitutedSetting_DefaultsToTheBinarysDefault()
    {
        Dictionary<string, string> environment = ComposeEnvironment();
        var wrong = new List<string>();
        foreach (SettingInfo setting in SettingsCatalog.All)
        {
            if (setting.Name is SettingNames.Host or SettingNames.Port)
            {
                continue;
            }

            // LLM_PARAMS and TRUSTED_PROXIES have no default value: their help text "(none)" is an empty variable here.
            string expected = setting.DefaultText == "(none)" ? "" : setting.DefaultText;
            if (environment[setting.Name] != "${" + setting.Name + ":-" + expected + "}")
            {
                wrong.Add(setting.Name + ": " + environment[setting.Name]);
            }
        }

        Assert.Empty(wrong);
    }

    [Fact]
    public void Compose_HostAndPort_FixedToWhatThePortMappingExpects()
    {
        Dictionary<string, string> environment = ComposeEnvironment();
        string compose = File.ReadAllText(RepositoryFile.PathOf(Compose));

        Assert.Equal("0.0.0.0", environment[SettingNames.Host]);
        Assert.Equal(s_defaultPort, environment[SettingNames.Port]);
        Assert.Contains($"- \"${{HOST_PORT:-{s_defaultPort}}}:{s_defaultPort}\"", compose, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_EnvFileRestartAndHealthCheck_AsTheSeedDescribes()
    {
        string compose = File.ReadAllText(RepositoryFile.PathOf(Compose));

        Assert.Contains("env_file:\n      - path: .env\n        required: false\n", compose, StringComparison.Ordinal);
        Assert.Contains("restart: unless-stopped", compose, StringComparison.Ordinal);
        Assert.Contains($"test: [\"CMD\", \"{Binary}\", \"health-check\"]", compose, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_StopGracePeriod_LongerThanTheDefaultShutdownTimeout()
    {
        Match match = Regex.Match(File.ReadAllText(RepositoryFile.PathOf(Compose)), @"stop_grace_period: (\d+)s", RegexOptions.CultureInvariant);

        Assert.True(match.Success);
        Assert.True(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) > ProxySettings.DefaultShutdownTimeout.TotalSeconds);
    }

    [Fact]
    public void Dockerfile_FinalStage_ServesTheDefaultPortAsNonRootWithItsOwnHealthCheck()
    {
        string[] lines = RepositoryFile.Lines(Dockerfile);
        string[] final = lines[Array.FindLastIndex(lines, l => l.StartsWith("FROM ", StringComparison.Ordinal))..];

        Assert.Contains("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled", final);
        Assert.Contains($"COPY --from=build --chmod=0755 /out/cot-proxy {Binary}", final);
        Assert.Contains("USER 65532:65532", final);
        Assert.Contains($"EXPOSE {s_defaultPort}", final);
        Assert.Contains($"    PORT={s_defaultPort}", final);
        Assert.Contains("ENV HOST=0.0.0.0 \\", final);
        Assert.Contains(final, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal) && l.EndsWith($"CMD [\"{Binary}\", \"health-check\"]", StringComparison.Ordinal));
        Assert.Contains($"ENTRYPOINT [\"{Binary}\"]", final);
    }

    [Fact]
    public void Dockerfile_RestoreStep_CopiesTheSharedBuildSettings()
    {
        string[] lines = RepositoryFile.Lines(Dockerfile);

        // The restore runs before the sources are copied in; without Directory.Build.props the project has no target framework.
        Assert.Contains("COPY CotProxy.csproj Directory.Build.props global.json ./", lines);
    }

    [Fact]
    public void Dockerfile_BuildStage_PublishesWithTheSharedScript()
    {
        string[] lines = RepositoryFile.Lines(Dockerfile);

        Assert.Contains("RUN scripts/publish.sh \"$(cat /rid)\" /out", lines);
        Assert.Contains(lines, l => l.Contains("amd64) rid=linux-x64", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("arm64) rid=linux-arm64", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerignore_KeepsSecretsTestsAndBuildOutputOut()
    {
        string[] lines = RepositoryFile.Lines(".dockerignore");

        string[] required = [".env", ".git", "tests/", "bench/", "**/bin/", "**/obj/", "out/"];
        Assert.Equal([], required.Except(lines));
        Assert.DoesNotContain("scripts/", lines);
    }

    private static Dictionary<string, string> ComposeEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        bool inside = false;
        foreach (string line in RepositoryFile.Lines(Compose))
        {
            if (line == "    environment:")
            {
                inside = true;
                continue;
            }

            if (inside && line.StartsWith("      #", StringComparison.Ordinal))
            {
                continue;
            }

            Match match = s_environmentEntry.Match(line);
            if (inside && !match.Success)
            {
                break;
            }

            if (match.Success)
            {
                environment.Add(match.Groups[1].Value, match.Groups[2].Value);
            }
        }

        return environment;
    }
}
