using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// An object a profile entry walks into: the client's, still in the body (<see cref="ObjectOverlay"/>), or one the profile
/// created or set (a small <see cref="JsonObject"/>, as large as the profile's own values).
/// </summary>
internal readonly struct RewriteTarget
{
    private readonly ObjectOverlay? _overlay;
    private readonly JsonObject? _node;

    private RewriteTarget(ObjectOverlay? overlay, JsonObject? node)
    {
        _overlay = overlay;
        _node = node;
    }

    public static RewriteTarget Of(ObjectOverlay overlay) => new(overlay, null);

    public static RewriteTarget Of(JsonObject node) => new(null, node);

    public RewriteValue Get(string name)
    {
        if (_overlay is not null)
        {
            return _overlay.Get(name);
        }

        return _node!.TryGetPropertyValue(name, out JsonNode? value) ? RewriteValue.FromNode(value) : RewriteValue.Absent;
    }

    public void Set(string name, JsonNode? value)
    {
        if (_overlay is not null)
        {
            _overlay.Set(name, value);
        }
        else
        {
            _node![name] = value;
        }
    }

    public void Remove(string name)
    {
        if (_overlay is not null)
        {
            _overlay.Remove(name);
        }
        else
        {
            _node!.Remove(name);
        }
    }

    /// <summary>The object <paramref name="value"/> (what <see cref="Get"/> returned for <paramref name="name"/>, an object).</summary>
    public RewriteTarget Enter(string name, RewriteValue value) =>
        value.IsInBody ? Of(_overlay!.Descend(name)) : Of((JsonObject)value.Node!);
}
