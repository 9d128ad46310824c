using CotProxy.Configuration;

namespace CotProxy.Tests.Configuration;

public sealed class SettingsTextTests
{
    // Written out here, not taken from SettingsCatalog, so that a setting dropped from the
    // catalog (and so from the help) makes this test fail.
    public static TheoryData<string, string> Settings => new()
    {
        { "HOST", "0.0.0.0" },
        { "PORT", "5000" },
        { "TARGET_BASE_URL", "https://api.openai.com/v1/" },
        { "DEMO", "false" },
        { "DEBUG", "false" },
        { "LOG_FORMAT", "text" },
        { "API_REQUEST_TIMEOUT", "3000" },
        { "CONNECT_TIMEOUT", "10" },
        { "MAX_REQUEST_BODY_MB", "32" },
        { "MAX_FILTERED_BODY_MB", "64" },
        { "SHUTDOWN_TIMEOUT", "30" },
        { "REQUEST_HEADERS_TIMEOUT", "30" },
        { "REQUEST_BODY_TIMEOUT", "30" },
        { "KEEP_ALIVE_TIMEOUT", "75" },
        { "LLM_PARAMS", "(none)" },
        { "THINK_TAG", "(none)" },
        { "THINK_END_TAG", "(none)" },
        { "ENABLE_THINK_TAG_FILTERING", "false" },
        { "THINK_MODE", "strip" },
        { "THINK_KEEPALIVE_SECONDS", "15" },
        { "TRUSTED_PROXIES", "(none)" },
        { "CORS_ALLOW_ORIGINS", "(none)" },
        { "SERVER_KIND", "(none)" },
        { "PROXY_API_KEYS", "(none)" },
        { "PROXY_API_KEYS_FILE", "(none)" },
        { "TARGET_API_KEY", "(none)" },
        { "TARGET_API_KEY_HEADER", "Authorization" },
        { "HTTPS_PROXY", "(none)" },
        { "HTTP_PROXY", "(none)" },
        { "NO_PROXY", "(none)" },
        { "SSL_CERT_FILE", "(none)" },
        { "COT_CONFIG", "(none)" },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void Help_EverySetting_ListedWithItsDefaultAndAMeaning(string name, string defaultText)
    {
        string help = SettingsText.Help("1.2.3");
        string row = Assert.Single(help.Split('\n'), line => line.StartsWith("  " + name + " ", StringComparison.Ordinal));
        string[] cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(name, cells[0]);
        Assert.Equal(defaultText, cells[1]);

        // The meaning follows, on the same line or the next: a capitalized sentence ending in '.'.
        string flat = string.Join(' ', help.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        int start = flat.IndexOf($" {name} {defaultText} ", StringComparison.Ordinal);
        Assert.True(start >= 0, row);
        string meaning = flat[(start + name.Length + defaultText.Length + 3)..];
        Assert.True(char.IsAsciiLetterUpper(meaning[0]), meaning);
        Assert.Contains('.', meaning[..Math.Min(meaning.Length, 120)]);
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Describe_EverySetting_OneLineWithDefaultAndSource(string name, string defaultText)
    {
        string text = SettingsText.Describe(new ProxySettings());
        string row = Assert.Single(text.Split('\n'), line => line.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.EndsWith(" " + defaultText + "  (default)", row, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_CatalogAndTestList_SameSettings()
    {
        var listed = new HashSet<string>();
        foreach (object?[] row in Settings)
        {
            listed.Add((string)row[0]!);
        }

        Assert.Equal(listed.Order(), SettingsCatalog.All.Select(s => s.Name).Order());
    }

    [Theory]
    [InlineData("--host")]
    [InlineData("--port")]
    [InlineData("--target")]
    [InlineData("--env-file")]
    [InlineData("--demo")]
    [InlineData("--version")]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("health-check")]
    [InlineData("config")]
    [InlineData("cot-proxy 1.2.3")]
    [InlineData("Precedence: options > environment > COT_CONFIG file > .env > defaults")]
    public void Help_EveryOptionAndCommand_Mentioned(string text)
    {
        Assert.Contains(text, SettingsText.Help("1.2.3"), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_EveryLine_AsciiAndFitsATerminal()
    {
        foreach (string line in SettingsText.Help("1.2.3").Split('\n'))
        {
            Assert.True(line.Length <= SettingsText.MaxLineWidth, $"{line.Length} columns: {line}");
            Assert.True(line.All(char.IsAscii), line);
            Assert.Equal(line.TrimEnd(), line);
        }
    }

    [Fact]
    public void Help_Table_EveryContinuationLineStartsAtTheMeaningColumn()
    {
        string[] lines = SettingsText.Help("1").Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("  NAME ", StringComparison.Ordinal));
        int meaningColumn = lines[header].IndexOf("MEANING", StringComparison.Ordinal);
        int continuations = 0;
        for (int i = header + 1; lines[i].Length > 0; i++)
        {
            if (lines[i][2] == ' ')
            {
                continuations++;
                Assert.StartsWith(new string(' ', meaningColumn), lines[i], StringComparison.Ordinal);
                Assert.NotEqual(' ', lines[i][meaningColumn]);
            }
            else if (lines[i][meaningColumn - 1] == ' ')
            {
                // A row whose default fits its column starts its meaning exactly at the column.
                Assert.NotEqual(' ', lines[i][meaningColumn]);
            }
        }

        Assert.True(continuations > 0);
    }

    [Fact]
    public void Describe_LoadedSettings_ShowsValuesSourcesAndEnvFile()
    {
        var s = new ProxySettings
        {
            Command = ProxyCommand.Config,
            Port = 8000,
            ApiRequestTimeout = TimeSpan.FromMilliseconds(1500),
            MaxRequestBodyBytes = 64L * 1024 * 1024,
            EnableThinkTagFiltering = true,
            ThinkEndTag = "</think>\n\n",
            EnvFileUsed = "/srv/cot/.env",
            Sources = new Dictionary<string, SettingSource>
            {
                ["PORT"] = SettingSource.CommandLine,
                ["API_REQUEST_TIMEOUT"] = SettingSource.Environment,
                ["MAX_REQUEST_BODY_MB"] = SettingSource.EnvFile,
            },
        };
        string[] lines = SettingsText.Describe(s).Split('\n');
        Assert.Contains(lines, l => l.StartsWith("PORT ", StringComparison.Ordinal) && l.EndsWith(" 8000  (command line)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("API_REQUEST_TIMEOUT ", StringComparison.Ordinal) && l.EndsWith(" 1.5  (environment)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("MAX_REQUEST_BODY_MB ", StringComparison.Ordinal) && l.EndsWith(" 64  (.env file)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ENABLE_THINK_TAG_FILTERING ", StringComparison.Ordinal) && l.EndsWith(" true  (default)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("THINK_END_TAG ", StringComparison.Ordinal) && l.EndsWith(" </think>\\n\\n  (default)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("env file ", StringComparison.Ordinal) && l.EndsWith(" /srv/cot/.env", StringComparison.Ordinal));
        Assert.Equal(SettingsCatalog.All.Count + 2, lines.Length);
        Assert.Equal("", lines[^1]);
    }

    [Fact]
    public void Describe_Secrets_Redacted()
    {
        var s = new ProxySettings
        {
            TargetBaseUrl = new Uri("https://admin:hunter2@llm.example.com/v1"),
            LlmParams = "model=gpt-4,api_key=sk-live-123,temperature=0.2;model=local,token=abc,max_tokens=50",
        };
        string text = SettingsText.Describe(s);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("admin", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-live-123", text, StringComparison.Ordinal);
        Assert.DoesNotContain("token=abc", text, StringComparison.Ordinal);
        Assert.Contains("https://***@llm.example.com/v1/", text, StringComparison.Ordinal);
        Assert.Contains("model=gpt-4,api_key=***,temperature=0.2;model=local,token=***,max_tokens=50", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_MultiLineLlmParams_StaysOnOneLine()
    {
        string text = SettingsText.Describe(new ProxySettings { LlmParams = "model=a\nmodel=b\u0007" });
        string row = Assert.Single(text.Split('\n'), l => l.StartsWith("LLM_PARAMS ", StringComparison.Ordinal));
        Assert.Contains("model=a\\nmodel=b\\u0007", row, StringComparison.Ordinal);
    }
}
