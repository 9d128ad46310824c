using CotProxy.Profiles;

namespace CotProxy.Configuration;

/// <summary>The errors found in one config file so far, each as <c>PATH:LINE: problem</c>.</summary>
internal sealed class ConfigErrors(string path, List<string> errors)
{
    public string Path => path;

    public int Count => errors.Count;

    public void Add(int line, string problem) => errors.Add($"{path}:{line}: {problem}");

    /// <summary>A message that already names its place (the profile parser's).</summary>
    public void Add(string message) => errors.Add(message);

    /// <summary>"unknown key `temprature` — did you mean `temperature`?", or without the question when nothing is near.</summary>
    public void Unknown(ConfigNode key, IEnumerable<string> known, string context = "")
    {
        string? nearest = KeySuggestion.Nearest(key.Text, known);
        Add(key.Line, nearest is null
            ? $"{context}unknown key `{key.Text}`"
            : $"{context}unknown key `{key.Text}` — did you mean `{nearest}`?");
    }

    /// <summary>
    /// The entries of <paramref name="map"/> whose key is a plain value, each key once: a key that is a map or a list,
    /// or that was given before, is reported (naming <paramref name="context"/>) and left out.
    /// </summary>
    public IEnumerable<KeyValuePair<ConfigNode, ConfigNode>> UniqueEntries(ConfigNode map, string context)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            ConfigNode key = entry.Key;
            if (key.Kind != ConfigNodeKind.Scalar || key.IsNull)
            {
                Add(key.Line, $"{context}: a key must be a name, found {key.KindText}");
                continue;
            }

            if (seen.TryGetValue(key.Text, out int first))
            {
                Add(key.Line, $"{context}: key `{key.Text}` is given twice (first on line {first})");
                continue;
            }

            seen.Add(key.Text, key.Line);
            yield return entry;
        }
    }
}
