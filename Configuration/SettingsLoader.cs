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
        var sources = new Dictionary<string, SettingSource>(StringComparer.Ordinal);

        string host = ProxySettings.DefaultHost;
        if (layers.TryGet(SettingNames.Host, sources, out string text, out string origin)
            && !SettingValueParser.TryParseHost(text, out host))
        {
            error = Invalid(SettingNames.Host, text, origin, SettingValueParser.HostSyntax);
            return false;
        }

        if (!TryInteger(layers, SettingNames.Port, ProxySettings.DefaultPort, 0, ProxySettings.MaxPort, "expected a whole number from 0 to 65535 (0 picks any free port)", sources, out int port, out error))
        {
            return false;
        }

        Uri target = ProxySettings.DefaultTargetBaseUrl;
        if (layers.TryGet(SettingNames.TargetBaseUrl, sources, out text, out origin)
            && !SettingValueParser.TryParseTargetUrl(text, out target, out string reason))
        {
            error = Invalid(SettingNames.TargetBaseUrl, SecretRedactor.RedactUrlUserInfo(text), origin, reason);
            return false;
        }

        if (!TryBoolean(layers, SettingNames.Demo, sources, out bool demo, out error)
            || !TryBoolean(layers, SettingNames.Debug, sources, out bool debug, out error)
            || !TrySeconds(layers, SettingNames.ApiRequestTimeout, ProxySettings.DefaultApiRequestTimeout, sources, out TimeSpan apiRequestTimeout, out error)
            || !TrySeconds(layers, SettingNames.ConnectTimeout, ProxySettings.DefaultConnectTimeout, sources, out TimeSpan connectTimeout, out error))
        {
            return false;
        }

        if (!TryInteger(layers, SettingNames.MaxRequestBodyMb, ProxySettings.DefaultMaxRequestBodyMegabytes, ProxySettings.MinMaxRequestBodyMegabytes, ProxySettings.MaxMaxRequestBodyMegabytes, "expected a whole number of MiB from 1 to 4096", sources, out int bodyMegabytes, out error))
        {
            return false;
        }

        if (!TrySeconds(layers, SettingNames.ShutdownTimeout, ProxySettings.DefaultShutdownTimeout, sources, out TimeSpan shutdownTimeout, out error)
            || !TrySeconds(layers, SettingNames.RequestHeadersTimeout, ProxySettings.DefaultRequestHeadersTimeout, sources, out TimeSpan requestHeadersTimeout, out error)
            || !TrySeconds(layers, SettingNames.RequestBodyTimeout, ProxySettings.DefaultRequestBodyTimeout, sources, out TimeSpan requestBodyTimeout, out error)
            || !TrySeconds(layers, SettingNames.KeepAliveTimeout, ProxySettings.DefaultKeepAliveTimeout, sources, out TimeSpan keepAliveTimeout, out error))
        {
            return false;
        }

        string? llmParams = layers.TryGet(SettingNames.LlmParams, sources, out text, out _) ? text : null;
        string? thinkTag = layers.TryGet(SettingNames.ThinkTag, sources, out text, out _) ? text : null;
        string? thinkEndTag = layers.TryGet(SettingNames.ThinkEndTag, sources, out text, out _) ? text : null;

        if (!TryBoolean(layers, SettingNames.EnableThinkTagFiltering, sources, out bool enableFiltering, out error))
        {
            return false;
        }

        if (!TryInteger(layers, SettingNames.ThinkKeepAliveSeconds, ProxySettings.DefaultThinkKeepAliveSeconds, 0, ProxySettings.MaxThinkKeepAliveSeconds, "expected a whole number of seconds from 0 to 3600 (0 = never)", sources, out int thinkKeepAlive, out error))
        {
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
            ApiRequestTimeout = apiRequestTimeout,
            ConnectTimeout = connectTimeout,
            MaxRequestBodyBytes = bodyMegabytes * 1024L * 1024L,
            ShutdownTimeout = shutdownTimeout,
            RequestHeadersTimeout = requestHeadersTimeout,
            RequestBodyTimeout = requestBodyTimeout,
            KeepAliveTimeout = keepAliveTimeout,
            LlmParams = llmParams,
            ThinkTag = thinkTag,
            ThinkEndTag = thinkEndTag,
            EnableThinkTagFiltering = enableFiltering,
            ThinkKeepAliveSeconds = thinkKeepAlive,
            EnvFileUsed = envFileUsed,
            Sources = sources.AsReadOnly(),
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
            error = $"cannot read env file {CommandLineArguments.Quote(path)}: {ex.Message}";
            return false;
        }

        if (!DotEnvParser.TryParse(text, path, out values, out error))
        {
            return false;
        }

        envFileUsed = path;
        return true;
    }

    private static bool TryBoolean(Layers layers, string name, Dictionary<string, SettingSource> sources, out bool value, out string error)
    {
        value = false;
        error = "";
        if (layers.TryGet(name, sources, out string text, out string origin) && !SettingValueParser.TryParseBoolean(text, out value))
        {
            error = Invalid(name, text, origin, SettingValueParser.BooleanSyntax);
            return false;
        }

        return true;
    }

    private static bool TryInteger(Layers layers, string name, int fallback, int min, int max, string accepted, Dictionary<string, SettingSource> sources, out int value, out string error)
    {
        value = fallback;
        error = "";
        if (layers.TryGet(name, sources, out string text, out string origin) && !SettingValueParser.TryParseInteger(text, min, max, out value))
        {
            error = Invalid(name, text, origin, accepted);
            return false;
        }

        return true;
    }

    private static bool TrySeconds(Layers layers, string name, TimeSpan fallback, Dictionary<string, SettingSource> sources, out TimeSpan value, out string error)
    {
        value = fallback;
        error = "";
        if (layers.TryGet(name, sources, out string text, out string origin) && !SettingValueParser.TryParseSeconds(text, out value))
        {
            error = Invalid(name, text, origin, SettingValueParser.DurationSyntax);
            return false;
        }

        return true;
    }

    private static string Invalid(string name, string value, string origin, string accepted) =>
        $"invalid {name} {CommandLineArguments.Quote(value)} (from {origin}): {accepted}";

    /// <summary>The three layers, looked up top-down.</summary>
    private sealed class Layers(
        CommandLineArguments commandLine,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> file,
        string? filePath)
    {
        /// <summary>
        /// Finds the highest layer that holds <paramref name="name"/>. Returns false (the default
        /// applies) when none does or the value found is empty; records the layer in sources.
        /// </summary>
        public bool TryGet(string name, Dictionary<string, SettingSource> sources, out string value, out string origin)
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

            sources[name] = source;
            return true;
        }
    }
}
