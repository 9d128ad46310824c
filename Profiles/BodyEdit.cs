using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// One change to the client's body, at the offset of the token it applies to. The copy pass walks the body once and
/// applies the edits in offset order; everything between them is the client's own tokens.
/// </summary>
internal readonly struct BodyEdit
{
    private BodyEdit(int offset, BodyEditKind kind, JsonNode? value, List<KeyValuePair<string, JsonNode?>>? members, string? suffix)
    {
        Offset = offset;
        Kind = kind;
        Value = value;
        Members = members;
        Suffix = suffix;
    }

    public int Offset { get; }

    public BodyEditKind Kind { get; }

    /// <summary>The new value (JSON null is <c>null</c>), or the item an array gets at its end.</summary>
    public JsonNode? Value { get; }

    /// <summary>The properties an object gets at its end, in order; null when the edit adds an array item.</summary>
    public List<KeyValuePair<string, JsonNode?>>? Members { get; }

    public string? Suffix { get; }

    public static BodyEdit RemoveProperty(int nameOffset) => new(nameOffset, BodyEditKind.RemoveProperty, null, null, null);

    public static BodyEdit ReplaceValue(int valueOffset, JsonNode? value) => new(valueOffset, BodyEditKind.ReplaceValue, value, null, null);

    public static BodyEdit AppendToString(int valueOffset, string suffix) => new(valueOffset, BodyEditKind.AppendToString, null, null, suffix);

    public static BodyEdit InsertMembers(int endOffset, List<KeyValuePair<string, JsonNode?>> members) =>
        new(endOffset, BodyEditKind.InsertBeforeEnd, null, members, null);

    public static BodyEdit InsertItem(int endOffset, JsonNode item) => new(endOffset, BodyEditKind.InsertBeforeEnd, item, null, null);
}
