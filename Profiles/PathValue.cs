using System.Text.Json;

namespace CotProxy.Profiles;

/// <summary>Where the body holds the value of one <see cref="RewritePathNode"/>, found by the scan; offsets into the body.</summary>
internal struct PathValue
{
    public bool Present;

    /// <summary>The value's first token: <see cref="JsonTokenType.StartObject"/>, <see cref="JsonTokenType.String"/>, ….</summary>
    public JsonTokenType Type;

    /// <summary>The opening quote of the property's name.</summary>
    public int NameOffset;

    /// <summary>The value's first byte.</summary>
    public int ValueStart;

    /// <summary>Just past the value's last byte.</summary>
    public int ValueEnd;

    /// <summary>For an object or array: its closing brace or bracket.</summary>
    public int EndTokenOffset;

    public readonly bool IsObject => Present && Type == JsonTokenType.StartObject;
}
