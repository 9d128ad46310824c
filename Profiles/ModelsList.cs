using System.Text.Json;
using System.Text.Json.Nodes;

namespace CotProxy.Profiles;

/// <summary>
/// <c>/v1/models</c> with the pseudo-models added: clients such as Cline and Open WebUI offer only
/// the names this list holds, so a profile's name must appear in it to be chosen.
/// </summary>
internal static class ModelsList
{
    /// <summary>
    /// The upstream's list plus one entry per pseudo-model (every profile but <c>default</c> and
    /// <c>*</c>), no duplicate ids, upstream entries first in their order. A pseudo entry copies its
    /// upstream model's entry (<c>owned_by</c>, <c>created</c>, vLLM's <c>root</c>…) when the list has it.
    /// Returns the upstream bytes unchanged when there is nothing to add, and null when
    /// <paramref name="upstreamJson"/> is not an OpenAI-style list (<c>{"object":"list","data":[…]}</c>).
    /// </summary>
    public static byte[]? Merge(ReadOnlySpan<byte> upstreamJson, ProfileSet profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (TryParseList(upstreamJson) is not (JsonObject root, JsonArray data))
        {
            return null;
        }

        bool changed = false;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < data.Count; i++)
        {
            if (IdOf(data[i]) is string id && !ids.Add(id))
            {
                // Some upstreams list a model twice (a llama.cpp router, a LiteLLM alias); clients
                // then show it twice. The first entry stays.
                data.RemoveAt(i--);
                changed = true;
            }
        }

        foreach (ModelProfile profile in profiles.Profiles)
        {
            if (profile.IsPseudoModel && ids.Add(profile.Name))
            {
                data.Add((JsonNode)PseudoEntry(profile, data));
                changed = true;
            }
        }

        return changed ? JsonText.ToUtf8(root) : upstreamJson.ToArray();
    }

    /// <summary>
    /// <c>/v1/models/{id}</c> for a pseudo-model: a model object, copying the upstream model's entry
    /// from <paramref name="upstreamListJson"/> when that list has it. Null when <paramref name="id"/>
    /// is not a pseudo-model. An unusable upstream list only loses the copied metadata.
    /// </summary>
    public static byte[]? Describe(string id, ReadOnlySpan<byte> upstreamListJson, ProfileSet profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Get(id) is not ModelProfile profile || !profile.IsPseudoModel)
        {
            return null;
        }

        JsonArray data = TryParseList(upstreamListJson) is (JsonObject, JsonArray list) ? list : [];
        return JsonText.ToUtf8(PseudoEntry(profile, data));
    }

    private static JsonObject PseudoEntry(ModelProfile profile, JsonArray data)
    {
        string source = profile.UpstreamModelName ?? profile.Name;
        foreach (JsonNode? node in data)
        {
            if (node is JsonObject upstreamEntry && IdOf(upstreamEntry) == source)
            {
                var copy = (JsonObject)upstreamEntry.DeepClone();
                copy["id"] = profile.Name;
                return copy;
            }
        }

        // The fields of OpenAI's model object (GET /v1/models): id, object, created, owned_by.
        return new JsonObject
        {
            ["id"] = profile.Name,
            ["object"] = "model",
            ["created"] = 0,
            ["owned_by"] = "cot-proxy",
        };
    }

    private static (JsonObject Root, JsonArray Data)? TryParseList(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        try
        {
            if (JsonNode.Parse(json, documentOptions: JsonText.DocumentOptions) is JsonObject root && root["data"] is JsonArray data)
            {
                return (root, data);
            }
        }
        catch (JsonException)
        {
            // Not JSON: the caller passes the upstream's answer through as it is.
        }
        catch (ArgumentException)
        {
            // Duplicate property names surface as ArgumentException when the object is built: same as not a list.
        }

        return null;
    }

    private static string? IdOf(JsonNode? entry) =>
        entry is JsonObject model && model["id"] is JsonValue id && id.TryGetValue(out string? text) ? text : null;
}
