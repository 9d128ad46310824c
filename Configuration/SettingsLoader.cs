using System.Net;
using CotProxy.Filtering;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy.Configuration;

/// <summary>
/// Builds <see cref="ProxySettings"/> from the command line, the process environment, the config file named by
/// <c>COT_CONFIG</c> and a <c>.env</c> file. Precedence: options > process environment > config file > .env > defaults;
/// the config file's upstream takes the place of TARGET_BASE_URL and its key, whatever layer set them. A layer that
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

        if (!TryReadEnvFile(commandLine.EnvFile, currentDirectory, out IReadOnlyDictionary<string, string> fileValues, out IReadOnlyDictionary<string, int> fileLines, out string? envFileUsed, out error))
        {
            return false;
        }

        var warnings = new List<string>();
        WarnUnknownEnvKeys(fileValues, fileLines, envFileUsed, warnings);
        var layers = new Layers(commandLine, environment, fileValues, envFileUsed);
        if (!TryReadConfigFile(layers, currentDirectory, out ConfigFile? config, out error))
        {
            return false;
        }

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

        string? llmParams = layers.TryGet(SettingNames.LlmParams, out text, out origin) ? text : null;
        if (config is not null && llmParams is not null)
        {
            error = $"LLM_PARAMS (from {origin}) cannot be used beside COT_CONFIG ({config.Path}): move its profiles into the file's profiles: section and unset LLM_PARAMS";
            return false;
        }

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
            if (!SettingValueParser.IsHeaderName(text))
            {
                error = Invalid(SettingNames.TargetApiKeyHeader, text, origin, "expected a header name such as x-api-key or Authorization");
                return false;
            }

            targetApiKeyHeader = text;
        }

        if (config is { Upstreams.Count: > 0 })
        {
            UseTheDefaultUpstream(config, layers, warnings, ref target, ref targetApiKey, ref targetApiKeyHeader, ref apiRequestTimeout);
        }

        IReadOnlyList<string> corsOrigins = [];
        if (layers.TryGet(SettingNames.CorsAllowOrigins, out text, out origin)
            && !SettingValueParser.TryParseOrigins(text, out corsOrigins, out reason))
        {
            error = Invalid(SettingNames.CorsAllowOrigins, text, origin, reason);
            return false;
        }

        // HTTPS_PROXY, HTTP_PROXY, NO_PROXY, SSL_CERT_FILE: how upstreams are reached, read as curl reads them.
        Uri? httpsProxy = null;
        Uri? httpProxy = null;
        if (layers.TryGetEither(SettingNames.HttpsProxy, out text, out origin) && !SettingValueParser.TryParseProxyUrl(text, out httpsProxy, out reason))
        {
            error = Invalid(SettingNames.HttpsProxy, SecretRedactor.RedactUrlUserInfo(text), origin, reason);
            return false;
        }

        if (layers.TryGetEither(SettingNames.HttpProxy, out text, out origin) && !SettingValueParser.TryParseProxyUrl(text, out httpProxy, out reason))
        {
            error = Invalid(SettingNames.HttpProxy, SecretRedactor.RedactUrlUserInfo(text), origin, reason);
            return false;
        }

        string? noProxy = layers.TryGetEither(SettingNames.NoProxy, out text, out _) ? text : null;
        string? sslCertFile = null;
        if (layers.TryGetEither(SettingNames.SslCertFile, out text, out origin))
        {
            sslCertFile = Path.GetFullPath(text, currentDirectory);
            if (!TryReadCertificates(sslCertFile, out reason))
            {
                error = Invalid(SettingNames.SslCertFile, text, origin, reason);
                return false;
            }
        }

        string? serverKind = null;
        if (layers.TryGet(SettingNames.ServerKind, out text, out origin))
        {
            if (text is not ("llamacpp" or "vllm" or "sglang" or "ollama" or "openai"))
            {
                error = Invalid(SettingNames.ServerKind, text, origin, "expected llamacpp, vllm, sglang, ollama or openai (the values of a profile's server_kind)");
                return false;
            }

            serverKind = text;
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
            ServerKind = serverKind,
            ProxyApiKeys = apiKeys,
            ProxyApiKeysFile = apiKeysFile,
            ProxyApiKeysFromFile = fileKeys,
            TargetApiKey = targetApiKey,
            TargetApiKeyHeader = targetApiKeyHeader,
            HttpsProxy = httpsProxy,
            HttpProxy = httpProxy,
            NoProxy = noProxy,
            SslCertFile = sslCertFile,
            EnvFileUsed = envFileUsed,
            ConfigFile = config,
            Warnings = warnings,
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

    /// <summary>SSL_CERT_FILE: readable, and holding at least one PEM certificate.</summary>
    private static bool TryReadCertificates(string path, out string reason)
    {
        reason = "";
        var certificates = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            reason = $"cannot read certificates from {CommandLineArguments.Quote(path)}: {ExceptionText.Describe(ex)}";
            return false;
        }

        if (certificates.Count == 0)
        {
            reason = $"{CommandLineArguments.Quote(path)} holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
            return false;
        }

        return true;
    }

    /// <summary>
    /// COT_CONFIG, from the environment or .env, read and checked; every error in the file is named, one per line.
    /// The layers then hold the file's top-level settings between the environment and .env.
    /// </summary>
    private static bool TryReadConfigFile(Layers layers, string currentDirectory, out ConfigFile? config, out string error)
    {
        config = null;
        error = "";
        if (!layers.TryGet(SettingNames.CotConfig, out string path, out string origin))
        {
            return true;
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            error = Invalid(SettingNames.CotConfig, path, origin, "expected the path of a YAML file");
            return false;
        }

        if (!ConfigFileParser.TryLoad(Path.GetFullPath(path, currentDirectory), out config, out IReadOnlyList<string> errors))
        {
            error = $"COT_CONFIG (from {origin}): {errors.Count} error{(errors.Count == 1 ? "" : "s")} in the config file:\n  " + string.Join("\n  ", errors);
            return false;
        }

        layers.Config = config;
        return true;
    }

    /// <summary>
    /// The upstream requests go to when no profile names one: the only one; of several, the one named <c>default</c>,
    /// else the first in the file.
    /// </summary>
    public static UpstreamSettings DefaultUpstream(IReadOnlyList<UpstreamSettings> upstreams) =>
        upstreams.FirstOrDefault(u => u.Name == DefaultUpstreamName) ?? upstreams[0];

    /// <summary>The upstream name that makes an upstream the default one among several.</summary>
    public const string DefaultUpstreamName = "default";

    /// <summary>
    /// The file's default upstream (<see cref="DefaultUpstream"/>) is the target: its base_url, api_key and
    /// api_key_header take the place of TARGET_BASE_URL, TARGET_API_KEY and TARGET_API_KEY_HEADER (the file wins for
    /// what it names; the upstream's key goes with its URL, never another layer's). With one upstream its timeout is
    /// API_REQUEST_TIMEOUT too; with several, each upstream keeps its own timeout and API_REQUEST_TIMEOUT serves those
    /// that name none.
    /// </summary>
    private static void UseTheDefaultUpstream(ConfigFile config, Layers layers, List<string> warnings, ref Uri target, ref string? apiKey, ref string header, ref TimeSpan timeout)
    {
        UpstreamSettings upstream = DefaultUpstream(config.Upstreams);
        foreach (string name in new[] { SettingNames.TargetBaseUrl, SettingNames.TargetApiKey, SettingNames.TargetApiKeyHeader })
        {
            if (layers.Sources.Remove(name, out SettingSource source))
            {
                warnings.Add($"{name} from {(source == SettingSource.EnvFile ? "the .env file" : source == SettingSource.CommandLine ? "the command line" : "the environment")} is not used: "
                    + $"the config file's upstream `{upstream.Name}` ({config.At(upstream.Line)}) takes its place");
            }
        }

        target = upstream.BaseUrl;
        apiKey = upstream.ApiKey;
        header = upstream.ApiKeyHeader;
        layers.Sources[SettingNames.TargetBaseUrl] = SettingSource.ConfigFile;
        layers.Sources[SettingNames.TargetApiKeyHeader] = SettingSource.ConfigFile;
        if (apiKey is not null)
        {
            layers.Sources[SettingNames.TargetApiKey] = SettingSource.ConfigFile;
        }

        if (config.Upstreams.Count == 1 && upstream.Timeout is { } seconds)
        {
            timeout = seconds;
            layers.Sources[SettingNames.ApiRequestTimeout] = SettingSource.ConfigFile;
        }
    }

    /// <summary>
    /// A .env key that is no setting changes nothing, which is how a misspelt one goes unnoticed: each gets a warning,
    /// with the nearest setting's name when one is close. HOST_PORT is docker compose's (README, "Docker"); the proxy
    /// settings' lower-case forms are settings too.
    /// </summary>
    private static void WarnUnknownEnvKeys(IReadOnlyDictionary<string, string> values, IReadOnlyDictionary<string, int> lines, string? file, List<string> warnings)
    {
        foreach (string key in values.Keys)
        {
            // The proxy settings are read in lower case too, as curl reads them.
            if (key is "HOST_PORT" or "https_proxy" or "http_proxy" or "no_proxy" || SettingsCatalog.All.Any(s => s.Name == key))
            {
                continue;
            }

            string? nearest = KeySuggestion.Nearest(key, SettingsCatalog.All.Select(s => s.Name));
            string where = $"{file}:{(lines.TryGetValue(key, out int line) ? line : 0)}";
            warnings.Add(nearest is null
                ? $"{where}: unknown setting `{key}` (ignored)"
                : $"{where}: unknown setting `{key}` — did you mean `{nearest}`? (ignored)");
        }
    }

    private static bool TryReadEnvFile(
        string? explicitPath,
        string currentDirectory,
        out IReadOnlyDictionary<string, string> values,
        out IReadOnlyDictionary<string, int> lines,
        out string? envFileUsed,
        out string error)
    {
        values = new Dictionary<string, string>();
        lines = new Dictionary<string, int>();
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

        if (!DotEnvParser.TryParse(text, path, out values, out lines, out error))
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
        /// <summary>The config file (COT_CONFIG) once read: its top-level settings rank below the environment, above .env.</summary>
        public ConfigFile? Config { get; set; }

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
        /// A setting that is also read under its lower-case name (https_proxy beside HTTPS_PROXY): the higher layer wins,
        /// and within one layer the lower-case name, as curl reads them. The source is recorded under <paramref name="name"/>.
        /// </summary>
        public bool TryGetEither(string name, out string value, out string origin)
        {
            var lower = name.ToLowerInvariant();
            var hasLower = TryGet(lower, out var lowerValue, out var lowerOrigin);
            Sources.Remove(lower, out var lowerSource);
            var hasUpper = TryGet(name, out value, out origin);
            if (hasLower && (!hasUpper || lowerSource >= Sources[name]))
            {
                value = lowerValue;
                origin = lowerOrigin;
                Sources[name] = lowerSource;
                return true;
            }

            return hasUpper;
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
            else if (Config is not null && Config.Settings.TryGetValue(name, out ConfigValue? configured))
            {
                found = configured.Text;
                source = SettingSource.ConfigFile;
                origin = Config.At(configured.Line);
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
