using System.Globalization;
using System.Text;

namespace CotProxy.Configuration;

/// <summary>The texts of <c>--help</c> and <c>cot-proxy config</c>. ASCII only, lines of at most 100 columns.</summary>
internal static class SettingsText
{
    public const int MaxLineWidth = 100;

    private const int NameColumn = 28;
    private const int DefaultColumn = 12;

    public static string Help(string version)
    {
        var text = new StringBuilder(4096);
        text.Append("cot-proxy ").Append(version).Append('\n')
            .Append("Reverse proxy for OpenAI-compatible model servers (llama.cpp, Ollama, vLLM, OpenAI) that\n")
            .Append("rewrites requests per model and hides or separates <think> reasoning in responses.\n")
            .Append('\n')
            .Append("Usage:\n")
            .Append("  cot-proxy [options]               serve (the default)\n")
            .Append("  cot-proxy config [options]        print the effective settings (secrets redacted) and exit\n")
            .Append("  cot-proxy health-check [options]  ask the running proxy's /health; exit 0 if healthy, 1 if not\n")
            .Append('\n')
            .Append("Options (each also as --name=value):\n")
            .Append("  --host ADDRESS     listen address (HOST)\n")
            .Append("  --port N           listen port, 0 = any free port (PORT)\n")
            .Append("  --target URL       upstream base URL (TARGET_BASE_URL)\n")
            .Append("  --env-file PATH    read settings from PATH instead of ./.env; the file must exist\n")
            .Append("  --demo             serve an embedded fake reasoning model and target it (DEMO)\n")
            .Append("  --version          print the version and exit\n")
            .Append("  -h, --help         print this help and exit\n")
            .Append('\n')
            .Append("Settings, from environment variables, a COT_CONFIG file or a .env file in the working directory.\n")
            .Append("Precedence: options > environment > COT_CONFIG file > .env > defaults. An empty value means the\n")
            .Append("default. The COT_CONFIG file (YAML) also holds upstreams, profiles and keys: README, \"Config file\".\n")
            .Append("Booleans: true/false, 1/0, yes/no. Seconds: digits with up to 3 decimals (0.5).\n")
            .Append('\n');
        AppendRow(text, "NAME", "DEFAULT", "MEANING");
        foreach (SettingInfo setting in SettingsCatalog.All)
        {
            AppendRow(text, setting.Name, setting.DefaultText, setting.Meaning);
        }

        text.Append('\n')
            .Append(".env lines: KEY=VALUE, # comments, optional 'export ', 'single' (literal) or \"double\"\n")
            .Append("(\\n \\t \\\" \\\\ escapes) quotes; no ${VAR} expansion.\n")
            .Append("Exit codes: 0 ok, 1 health check failed, 2 invalid settings or command line.\n");
        return text.ToString();
    }

    /// <summary>One "NAME  value  (source)" line per setting, then the .env file read; secrets shown as ***.</summary>
    public static string Describe(ProxySettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var text = new StringBuilder(2048);
        foreach (SettingInfo setting in SettingsCatalog.All)
        {
            string value = setting.Name switch
            {
                SettingNames.Host => s.Host,
                SettingNames.Port => s.Port.ToString(CultureInfo.InvariantCulture),
                SettingNames.TargetBaseUrl => SecretRedactor.RedactUrlUserInfo(s.TargetBaseUrl.AbsoluteUri),
                SettingNames.Demo => Boolean(s.Demo),
                SettingNames.Debug => Boolean(s.Debug),
                SettingNames.LogFormat => s.LogJson ? "json" : "text",
                SettingNames.ApiRequestTimeout => Seconds(s.ApiRequestTimeout),
                SettingNames.ConnectTimeout => Seconds(s.ConnectTimeout),
                SettingNames.MaxRequestBodyMb => (s.MaxRequestBodyBytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture),
                SettingNames.MaxFilteredBodyMb => (s.MaxFilteredBodyBytes / (1024 * 1024)).ToString(CultureInfo.InvariantCulture),
                SettingNames.ShutdownTimeout => Seconds(s.ShutdownTimeout),
                SettingNames.RequestHeadersTimeout => Seconds(s.RequestHeadersTimeout),
                SettingNames.RequestBodyTimeout => Seconds(s.RequestBodyTimeout),
                SettingNames.KeepAliveTimeout => Seconds(s.KeepAliveTimeout),
                SettingNames.LlmParams => s.LlmParams is null ? "(none)" : Visible(SecretRedactor.RedactParameters(s.LlmParams)),
                SettingNames.ThinkTag => s.ThinkTag is null ? "(none)" : Visible(s.ThinkTag),
                SettingNames.ThinkEndTag => s.ThinkEndTag is null ? "(none)" : Visible(s.ThinkEndTag),
                SettingNames.EnableThinkTagFiltering => Boolean(s.EnableThinkTagFiltering),
                SettingNames.ThinkMode => s.ThinkMode.ToString().ToLowerInvariant(),
                SettingNames.ThinkKeepAliveSeconds => s.ThinkKeepAliveSeconds.ToString(CultureInfo.InvariantCulture),
                SettingNames.ProxyApiKeysFile => s.ProxyApiKeysFile is null ? "(none)" : $"{s.ProxyApiKeysFile} ({s.ProxyApiKeysFromFile.Count} key(s), not shown)",
                SettingNames.ProxyApiKeys => s.ProxyApiKeys.Count == 0 ? "(none)" : $"({s.ProxyApiKeys.Count} key(s), not shown)",
                SettingNames.TargetApiKey => s.TargetApiKey is null ? "(none)" : "***",
                SettingNames.TargetApiKeyHeader => s.TargetApiKeyHeader,
                SettingNames.CorsAllowOrigins => s.CorsAllowOrigins.Count == 0 ? "(none)" : string.Join(",", s.CorsAllowOrigins),
                SettingNames.ServerKind => s.ServerKind ?? "(none)",
                SettingNames.TrustedProxies => s.TrustedProxies.Count == 0 ? "(none)" : string.Join(",", s.TrustedProxies),
                SettingNames.HttpsProxy => s.HttpsProxy is null ? "(none)" : SecretRedactor.RedactUrlUserInfo(s.HttpsProxy.AbsoluteUri),
                SettingNames.HttpProxy => s.HttpProxy is null ? "(none)" : SecretRedactor.RedactUrlUserInfo(s.HttpProxy.AbsoluteUri),
                SettingNames.NoProxy => s.NoProxy ?? "(none)",
                SettingNames.SslCertFile => s.SslCertFile ?? "(none)",
                SettingNames.CotConfig => s.ConfigFile?.Path ?? "(none)",
                _ => throw new InvalidOperationException($"setting {setting.Name} has no description"),
            };
            text.Append(setting.Name.PadRight(NameColumn)).Append(value).Append("  (").Append(SourceText(s.SourceOf(setting.Name))).Append(")\n");
        }

        text.Append("env file".PadRight(NameColumn)).Append(s.EnvFileUsed ?? "(none read)").Append('\n');
        if (s.ConfigFile is { } file)
        {
            text.Append(s.Upstreams.Count == 0 ? "upstreams: none in the config file\n" : "upstreams:\n");
            foreach (UpstreamSettings upstream in s.Upstreams)
            {
                text.Append("  ").Append(upstream.Name).Append("  ").Append(SecretRedactor.RedactUrlUserInfo(upstream.BaseUrl.AbsoluteUri))
                    .Append(upstream.ApiKey is null ? "  no key" : $"  key *** in {upstream.ApiKeyHeader}")
                    .Append("  timeout ").Append(Seconds(upstream.Timeout ?? s.ApiRequestTimeout)).Append(" s")
                    .Append(upstream.MaxConcurrent is { } cap ? "  max_concurrent " + cap.ToString(CultureInfo.InvariantCulture) : "")
                    .Append("  (").Append(file.At(upstream.Line)).Append(")\n");
            }
        }

        return text.ToString();
    }

    private static string SourceText(SettingSource source) => source switch
    {
        SettingSource.CommandLine => "command line",
        SettingSource.Environment => "environment",
        SettingSource.EnvFile => ".env file",
        SettingSource.ConfigFile => "config file",
        _ => "default",
    };

    private static string Boolean(bool value) => value ? "true" : "false";

    private static string Seconds(TimeSpan value) =>
        (value.TotalMilliseconds / 1000).ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Shows line breaks and other control characters as escapes so each setting stays on one line.</summary>
    private static string Visible(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            _ = c switch
            {
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                _ when char.IsControl(c) => builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    /// <summary>
    /// One help-table row: 2 blanks, name, default, meaning, the meaning wrapped under its own
    /// column; a default too long for its column puts the meaning on the next line.
    /// </summary>
    private static void AppendRow(StringBuilder text, string name, string defaultText, string meaning)
    {
        const int Indent = 2 + NameColumn + DefaultColumn;
        text.Append("  ").Append(name.PadRight(NameColumn - 2)).Append("  ");
        if (defaultText.Length + 2 > DefaultColumn)
        {
            text.Append(defaultText).Append('\n').Append(' ', Indent);
        }
        else
        {
            text.Append(defaultText.PadRight(DefaultColumn));
        }

        int width = MaxLineWidth - Indent;
        int column = 0;
        foreach (string word in meaning.Split(' '))
        {
            if (column > 0 && column + 1 + word.Length > width)
            {
                text.Append('\n').Append(' ', Indent);
                column = 0;
            }
            else if (column > 0)
            {
                text.Append(' ');
                column++;
            }

            text.Append(word);
            column += word.Length;
        }

        text.Append('\n');
    }
}
