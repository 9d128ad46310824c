using System.Net;
using CotProxy.Filtering;
using CotProxy.Logging;

namespace CotProxy.Configuration;

/// <summary>
/// Builds <see cref="ProxySettings"/> from the command line, the process environment and a
/// <c>.env</c> file. Precedence: options > process environment > .env > defaults. A layer that
/// holds a setting with an empty value hides the layers below it and means "the default"
/// (as docker compose's <c>${VAR:-default}</c> treats empty as unset). Pure apart from reading
/// the .env file: no sockets, no console.
/// </summary>
internal static class SettingsLoader
{
    public const string DefaultEnvFileName = ".env";

    /// <summary>
    /// Returns true with the effective settings, or false with one line for stderr that names the
    /// setting, the offending value (URL passwords hidden) and what is accepted.
    /// </summary>
    public static bool TryLoad(
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string> environment,
        string currentDirectory,
        out ProxySettings settings,
        out string error)
    {
        settings = new ProxySettings();
        if (!CommandLineArguments.TryParse(args, out CommandLineArguments commandLine, out error))
        {
            return false;
        }

        // Help and version must work even when the environment or the .env file is broken.
        if (commandLine.Command is ProxyCommand.Help or ProxyCommand.Version)
        {
            settings = new ProxySettings { Command = commandLine.Command };
            return true;
        }

        if (!TryReadEnvFile(commandLine.EnvFile, currentDirectory, out IReadOnlyDictionary<string, string> fileValues, out string? envFileUsed, out error))
        {
            return false;
        }

        var layers = new Layers(commandLine, environment, fileValues, envFileUsed);

        if (!layers.TryRead(SettingNames.Host, ProxySettings.DefaultHost, SettingValueParser.TryParseHost, SettingValueParser.HostSyntax, out string host, out error)
            || !layers.TryRead(SettingNames.Port, ProxySettings.DefaultPort, WholeNumber(0, ProxySettings.MaxPort), "expected a whole number from 0 to 65535 (0 picks any free port)", out int port, out error))
        {
            return false;
        }

        // Not TryRead: the error shows the value with any URL password hidden, and the parser says what is wrong.
        Uri target = ProxySettings.DefaultTargetBaseUrl;
        if (layers.TryGet(SettingNames.TargetBaseUrl, out string text, out string origin)
            && !SettingValueParser.TryParseTargetUrl(text, out target, out string reason))
        {
            error = Invalid(SettingNames.TargetBaseUrl, SecretRedactor.RedactUrlUserInfo(text), origin, reason);
            return false;
        }

        if (!layers.TryRead(SettingNames.Demo, false, SettingValueParser.TryParseBoolean, SettingValueParser.BooleanSyntax, out bool demo, out error)
            || !layers.TryRead(SettingNames.Debug, false, SettingValueParser.TryParseBoolean, SettingValueParser.BooleanSyntax, out bool debug, out error)
            || !layers.TryRead(SettingNames.LogFormat, false, SettingValueParser.TryParseLogFormat, SettingValueParser.LogFormatSyntax, out bool logJson, out error)
            || !layers.TryRead(SettingNames.ApiRequestTimeout, ProxySettings.DefaultApiRequestTimeout, SettingValueParser.TryParseSeconds, SettingValueParser.DurationSyntax, out TimeSpan apiRequestTimeout, out error)
            || !layers.TryRead(SettingNames.ConnectTimeout, ProxySettings.DefaultConnectTimeout, SettingValueParser.TryParseSeconds, SettingValueParser.DurationSyntax, out TimeSpan connectTimeout, out error)
            || !layers.TryRead(SettingNames.MaxRequestBodyMb, ProxySettings.DefaultMaxRequestBodyMegabytes, WholeNumber(ProxySettings.MinMaxRequestBodyMegabytes, ProxySettings.MaxMaxRequestBodyMegabytes), "expected a whole number of MiB from 1 to 4096", out int bodyMegabytes, out error)
            || !layers.TryRead(SettingNames.MaxFilteredBodyMb, ProxySettings.DefaultMaxFilteredBodyMegabytes, WholeNumber(1, ProxySettings.MaxMaxFilteredBodyMegabytes), "expected a whole number of MiB from 1 to 1024", out int filteredMegabytes, out error)
            || !layers.TryRead(SettingNames.ShutdownTimeout, ProxySettings.DefaultShutdownTimeout, SettingValueParser.TryParseSeconds, SettingValueParser.DurationSyntax, out TimeSpan shutdownTimeout, out error)
            || !layers.TryRead(SettingNames.RequestHeadersTimeout, ProxySettings.DefaultRequestHeadersTimeout, SettingValueParser.TryParseSeconds, SettingValueParser.DurationSyntax, out TimeSpan requestHeadersTimeout, out error)
            || !layers.TryRead(SettingNames.RequestBodyTimeout, ProxySettings.DefaultRequestBodyTimeout, SettingValueParser.TryParseSeconds, SettingValueParser.DurationSyntax, out TimeSpan requestBodyTimeout, out error)
            || !layers.TryRead(SettingNames.KeepAliveTimeout, ProxySettings.DefaultKeepAliveTimeout, SettingValueParser.TryParseSeconds, SettingValueParser.DurationSyntax, out TimeSpan keepAliveTimeout, out error))
        {
            return false;
        }

        string? llmParams = layers.TryGet(SettingNames.LlmParams, out text, out _) ? text : null;
        string? thinkTag = layers.TryGet(SettingNames.ThinkTag, out text, out _) ? text : null;
        string? thinkEndTag = layers.TryGet(SettingNames.ThinkEndTag, out text, out _) ? text : null;

        if (!layers.TryRead(SettingNames.EnableThinkTagFiltering, false, SettingValueParser.TryParseBoolean, SettingValueParser.BooleanSyntax, out bool enableFiltering, out error)
            || !layers.TryRead(SettingNames.ThinkMode, ThinkMode.Strip, SettingValueParser.TryParseThinkMode, SettingValueParser.ThinkModeSyntax, out ThinkMode thinkMode, out error)
            || !layers.TryRead(SettingNames.ThinkKeepAliveSeconds, ProxySettings.DefaultThinkKeepAliveSeconds, WholeNumber(0, ProxySettings.MaxThinkKeepAliveSeconds), "expected a whole number of seconds from 0 to 3600 (0 = never)", out int thinkKeepAlive, out error))
        {
            return false;
        }

        // Not TryRead: the error names the one entry that is wrong, not only the whole list.
        IReadOnlyList<IPNetwork> trustedProxies = [];
        if (layers.TryGet(SettingNames.TrustedProxies, out text, out origin)
            && !SettingValueParser.TryParseNetworks(text, out trustedProxies, out reason))
        {
            error = Invalid(SettingNames.TrustedProxies, text, origin, reason);
            return false;
        }

        var apiKeys = new List<string>();
        if (layers.TryGet(SettingNames.ProxyApiKeys, out text, out _))
        {
            apiKeys.AddRange(text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }

        string? apiKeysFile = null;
        var fileKeys = new List<string>();
        if (layers.TryGet(SettingNames.ProxyApiKeysFile, out text, out origin))
        {
            if (!TryReadKeyFile(text, currentDirectory, fileKeys, out reason))
            {
                error = Invalid(SettingNames.ProxyApiKeysFile, text, origin, reason);
                return false;
            }

            apiKeysFile = text;
        }

        string? targetApiKey = layers.TryGet(SettingNames.TargetApiKey, out text, out _) ? text : null;
        string targetApiKeyHeader = "Authorization";
        if (layers.TryGet(SettingNames.TargetApiKeyHeader, out text, out origin))
        {
            // RFC 9110 §5.1: a field name is a token.
            if (!text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                error = Invalid(SettingNames.TargetApiKeyHeader, text, origin, "expected a header name such as x-api-key or Authorization");
                return false;
            }

            targetApiKeyHeader = text;
        }

        IReadOnlyList<string> corsOrigins = [];
        if (layers.TryGet(SettingNames.CorsAllowOrigins, out text, out origin)
            && !SettingValueParser.TryParseOrigins(text, out corsOrigins, out reason))
        {
            error = Invalid(SettingNames.CorsAllowOrigins, text, origin, reason);
            return false;
        }

        // --demo points the proxy at the embedded demo model: a --target beside it would be ignored.
        if (demo && commandLine.Options.TryGetValue(SettingNames.TargetBaseUrl, out string? targetOption))
        {
            error = $"{targetOption} cannot be combined with demo mode, which targets the embedded demo model (drop one of them)";
            return false;
        }

        if (commandLine.Command == ProxyCommand.HealthCheck && port == 0)
        {
            error = "health-check needs the running proxy's PORT (or --port); 0 means any free port, which cannot be checked from outside";
            return false;
        }

        settings = new ProxySettings
        {
            Command = commandLine.Command,
            Host = host,
            Port = port,
            TargetBaseUrl = target,
            Demo = demo,
            Debug = debug,
            LogJson = logJson,
            ApiRequestTimeout = apiRequestTimeout,
            ConnectTimeout = connectTimeout,
            MaxRequestBodyBytes = bodyMegabytes * 1024L * 1024L,
            MaxFilteredBodyBytes = filteredMegabytes * 1024 * 1024,
            ShutdownTimeout = shutdownTimeout,
            RequestHeadersTimeout = requestHeadersTimeout,
            RequestBodyTimeout = requestBodyTimeout,
            KeepAliveTimeout = keepAliveTimeout,
            LlmParams = llmParams,
            ThinkTag = thinkTag,
            ThinkEndTag = thinkEndTag,
            EnableThinkTagFiltering = enableFiltering,
            ThinkMode = thinkMode,
            ThinkKeepAliveSeconds = thinkKeepAlive,
            TrustedProxies = trustedProxies,
            CorsAllowOrigins = corsOrigins,
            ProxyApiKeys = apiKeys,
            ProxyApiKeysFile = apiKeysFile,
            ProxyApiKeysFromFile = fileKeys,
            TargetApiKey = targetApiKey,
            TargetApiKeyHeader = targetApiKeyHeader,
            EnvFileUsed = envFileUsed,
            Sources = layers.Sources.AsReadOnly(),
        };
        error = "";
        return true;
    }

    /// <summary>The process environment as a dictionary, for Program to pass to <see cref="TryLoad"/>.</summary>
    public static Dictionary<string, string> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                result[key] = value;
            }
        }

        return result;
    }

    /// <summary>PROXY_API_KEYS_FILE: one key per line; blank lines and lines starting with # are skipped.</summary>
    private static bool TryReadKeyFile(string path, string currentDirectory, List<string> keys, out string reason)
    {
        reason = "";
        string full = Path.GetFullPath(path, currentDirectory);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            reason = $"cannot read {CommandLineArguments.Quote(full)}: {ExceptionText.Describe(ex)}";
            return false;
        }

        foreach (var line in lines)
        {
            var key = line.Trim();
            if (key.Length > 0 && key[0] != '#')
            {
                keys.Add(key);
            }
        }

        if (keys.Count == 0)
        {
            reason = $"{CommandLineArguments.Quote(full)} holds no key (one per line expected)";
            return false;
        }

        return true;
    }

    private static bool TryReadEnvFile(
        string? explicitPath,
        string currentDirectory,
        out IReadOnlyDictionary<string, string> values,
        out string? envFileUsed,
        out string error)
    {
        values = new Dictionary<string, string>();
        envFileUsed = null;
        error = "";
        if (explicitPath is not null && explicitPath.Contains('\0', StringComparison.Ordinal))
        {
            error = $"--env-file: invalid path {CommandLineArguments.Quote(explicitPath)}";
            return false;
        }

        string path = Path.GetFullPath(explicitPath ?? DefaultEnvFileName, currentDirectory);
        if (!File.Exists(path))
        {
            if (explicitPath is null)
            {
                return true;
            }

            error = $"--env-file: no such file {CommandLineArguments.Quote(path)}";
            return false;
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read env file {CommandLineArguments.Quote(path)}: {ExceptionText.Describe(ex)}";
            return false;
        }

        if (!DotEnvParser.TryParse(text, path, out values, out error))
        {
            return false;
        }

        envFileUsed = path;
        return true;
    }

    /// <summary>A whole number from min to max inclusive.</summary>
    private static ValueParser<int> WholeNumber(int min, int max) =>
        (string text, out int value) => SettingValueParser.TryParseInteger(text, min, max, out value);

    private static string Invalid(string name, string value, string origin, string accepted) =>
        $"invalid {name} {CommandLineArguments.Quote(value)} (from {origin}): {accepted}";

    /// <summary>Parses a setting's text; false when the text is not one of the accepted values.</summary>
    private delegate bool ValueParser<T>(string text, out T value);

    /// <summary>The three layers, looked up top-down, and the layer each setting came from.</summary>
    private sealed class Layers(
        CommandLineArguments commandLine,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> file,
        string? filePath)
    {
        /// <summary>The layer that supplied each setting found (non-empty) in one.</summary>
        public Dictionary<string, SettingSource> Sources { get; } = new(StringComparer.Ordinal);

        /// <summary>
        /// The setting's value parsed, or <paramref name="fallback"/> when no layer holds it (or
        /// holds it empty). False with one line naming the setting, the value, where it came from
        /// and <paramref name="accepted"/> when the text does not parse.
        /// </summary>
        public bool TryRead<T>(string name, T fallback, ValueParser<T> parse, string accepted, out T value, out string error)
        {
            value = fallback;
            error = "";
            if (TryGet(name, out string text, out string origin) && !parse(text, out value))
            {
                error = Invalid(name, text, origin, accepted);
                return false;
            }

            return true;
        }

        /// <summary>
        /// Finds the highest layer that holds <paramref name="name"/>. Returns false (the default
        /// applies) when none does or the value found is empty; records the layer in <see cref="Sources"/>.
        /// </summary>
        public bool TryGet(string name, out string value, out string origin)
        {
            SettingSource source;
            if (commandLine.Values.TryGetValue(name, out string? found))
            {
                source = SettingSource.CommandLine;
                origin = commandLine.Options[name];
            }
            else if (environment.TryGetValue(name, out found))
            {
                source = SettingSource.Environment;
                origin = "the environment";
            }
            else if (file.TryGetValue(name, out found))
            {
                source = SettingSource.EnvFile;
                origin = filePath ?? DefaultEnvFileName;
            }
            else
            {
                value = "";
                origin = "";
                return false;
            }

            value = found;
            if (found.Length == 0)
            {
                return false;
            }

            Sources[name] = source;
            return true;
        }
    }
}
