namespace CotProxy.Configuration;

/// <summary>The layer an effective setting came from; higher layers win.</summary>
internal enum SettingSource
{
    /// <summary>Built-in default (also: the winning layer held an empty value).</summary>
    Default,

    /// <summary>A line of the <c>.env</c> file (or the file named by <c>--env-file</c>).</summary>
    EnvFile,

    /// <summary>A top-level setting or an upstream of the config file named by <c>COT_CONFIG</c>.</summary>
    ConfigFile,

    /// <summary>The process environment.</summary>
    Environment,

    /// <summary>A command-line option such as <c>--port</c>.</summary>
    CommandLine,
}
