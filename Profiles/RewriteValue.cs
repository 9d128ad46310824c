using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>The value a key holds while a profile is applied: absent, the client's (still in the body), or one the profile put there.</summary>
internal readonly struct RewriteValue
{
    private RewriteValue(RewritePathNode? path, JsonNode? node, bool present)
    {
        Path = path;
        Node = node;
        IsPresent = present;
    }

    public bool IsPresent { get; }

    /// <summary>For the client's value: its path node, whose <see cref="PathValue"/> says where it is.</summary>
    public RewritePathNode? Path { get; }

    /// <summary>For a value the profile put there (JSON null is <c>null</c>).</summary>
    public JsonNode? Node { get; }

    public bool IsInBody => Path is not null;

    public static RewriteValue Absent => default;

    public static RewriteValue InBody(RewritePathNode path) => new(path, null, true);

    public static RewriteValue FromNode(JsonNode? node) => new(null, node, true);

    public bool IsObject(PathValue[] found) => IsInBody ? found[Path!.Index].IsObject : Node is JsonObject;

    /// <summary>Absent or JSON null: what <c>JsonObject.TryGetPropertyValue</c> reported as a null node.</summary>
    public bool IsNullOrAbsent(PathValue[] found) =>
        !IsPresent || (IsInBody ? found[Path!.Index].Type == JsonTokenType.Null : Node is null);

    /// <summary>The client's value as JSON text (it is in the body), or empty.</summary>
    public ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> json, PathValue[] found)
    {
        if (!IsInBody)
        {
            return default;
        }

        PathValue value = found[Path!.Index];
        return json[value.ValueStart..value.ValueEnd];
    }
}
