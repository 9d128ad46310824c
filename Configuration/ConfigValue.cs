namespace CotProxy.Configuration;

/// <summary>A top-level setting of a config file, as text the environment would hold, and the line it is on.</summary>
internal sealed record ConfigValue(string Text, int Line);
