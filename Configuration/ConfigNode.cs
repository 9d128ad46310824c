namespace CotProxy.Configuration;

/// <summary>
/// One node of a config file as written, with the line it starts on: a scalar (its text, and whether it was quoted),
/// a map (its key/value pairs in order, duplicates kept for the checker to report) or a list.
/// </summary>
internal sealed class ConfigNode
{
    private ConfigNode(ConfigNodeKind kind, int line, string text, bool quoted, List<KeyValuePair<ConfigNode, ConfigNode>>? entries, List<ConfigNode>? items)
    {
        Kind = kind;
        Line = line;
        Text = text;
        IsQuoted = quoted;
        Entries = entries ?? [];
        Items = items ?? [];
    }

    public ConfigNodeKind Kind { get; }

    /// <summary>1-based line the node starts on.</summary>
    public int Line { get; }

    /// <summary>A scalar's text as YAML decoded it (empty for maps and lists).</summary>
    public string Text { get; }

    /// <summary>A scalar written in quotes (or as a block): its text is a string, never a number, boolean or null.</summary>
    public bool IsQuoted { get; }

    public IReadOnlyList<KeyValuePair<ConfigNode, ConfigNode>> Entries { get; }

    public IReadOnlyList<ConfigNode> Items { get; }

    /// <summary>A plain <c>~</c>, <c>null</c> or nothing at all: YAML's null (YAML 1.2 core schema).</summary>
    public bool IsNull => Kind == ConfigNodeKind.Scalar && !IsQuoted && Text is "" or "~" or "null" or "Null" or "NULL";

    public static ConfigNode Scalar(int line, string text, bool quoted) => new(ConfigNodeKind.Scalar, line, text, quoted, null, null);

    public static ConfigNode Map(int line, List<KeyValuePair<ConfigNode, ConfigNode>> entries) => new(ConfigNodeKind.Map, line, "", false, entries, null);

    public static ConfigNode List(int line, List<ConfigNode> items) => new(ConfigNodeKind.List, line, "", false, null, items);

    /// <summary>"a map", "a list", "a value": for messages that say what was found.</summary>
    public string KindText => Kind switch
    {
        ConfigNodeKind.Map => "a map",
        ConfigNodeKind.List => "a list",
        _ => IsNull ? "nothing" : "a value",
    };
}
