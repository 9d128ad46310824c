namespace CotProxy.Configuration;

/// <summary>One documented setting: its environment variable, its option (if any), its default and meaning.</summary>
/// <param name="Name">Environment variable / .env key, e.g. "PORT".</param>
/// <param name="Flag">Command-line option that also sets it, e.g. "--port", or null.</param>
/// <param name="DefaultText">The default as a user would write it.</param>
/// <param name="Meaning">One line for the help table.</param>
internal sealed record SettingInfo(string Name, string? Flag, string DefaultText, string Meaning);
