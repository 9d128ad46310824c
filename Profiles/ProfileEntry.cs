using System.Text.Json.Nodes;
using CotProxy.Logging;

namespace CotProxy.Profiles;

/// <summary>One request-changing entry of a profile: an override, a weak default or a removal.</summary>
internal sealed class ProfileEntry
{
    // The value as UTF-8 JSON, parsed afresh for each request: a JsonNode built by Parse fills in
    // its children lazily on first read, so one node shared by concurrent requests would race.
    private readonly byte[] _json;

    public ProfileEntry(string key, ProfileEntryKind kind, JsonNode? value, string typeName)
    {
        Key = key;
        Path = key.Split('.');
        Kind = kind;
        _json = JsonText.ToUtf8(value);
        TypeName = typeName;
    }

    /// <summary>The key as written, dots included (<c>chat_template_kwargs.enable_thinking</c>).</summary>
    public string Key { get; }

    /// <summary>The key split at its dots: the path of nested objects down to the field.</summary>
    public IReadOnlyList<string> Path { get; }

    public ProfileEntryKind Kind { get; }

    /// <summary>What the value was typed as: number, boolean, null, string, array or object (empty for a removal).</summary>
    public string TypeName { get; }

    /// <summary>A fresh copy of the typed value (JSON null is <c>null</c>), to be placed into one request.</summary>
    public JsonNode? CloneValue() => JsonNode.Parse(_json);

    /// <summary>The value as JSON text, exactly as it will be sent.</summary>
    public string ValueJson => System.Text.Encoding.UTF8.GetString(_json);

    /// <summary>One fragment of <see cref="ModelProfile.Describe"/>: <c>temperature=0.7 (number)</c>, <c>top_k?=20 (number, default)</c>, <c>!seed</c>.</summary>
    public string Describe()
    {
        // Start-up logs print profiles: a key named like a credential (api_key, auth_token, password) keeps its value out.
        string shown = SecretNames.IsSecret(Path[^1]) ? "***" : ValueJson;
        return Kind switch
        {
            ProfileEntryKind.Remove => "!" + Key,
            ProfileEntryKind.Default => $"{Key}?={shown} ({TypeName}, default)",
            _ => $"{Key}={shown} ({TypeName})",
        };
    }
}
