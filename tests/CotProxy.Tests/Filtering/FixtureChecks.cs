using System.Text;
using System.Text.Json;

namespace CotProxy.Tests.Filtering;

/// <summary>Assertions shared by the fixture tests: what must survive and what must not.</summary>
internal static class FixtureChecks
{
    private static readonly string[] s_reasoningKeys = ["reasoning_content", "reasoning", "thinking"];

    /// <summary>Every string value anywhere in the JSON events, decoded.</summary>
    public static List<string> AllStrings(IEnumerable<string> jsonEvents)
    {
        var result = new List<string>();
        foreach (string json in jsonEvents)
        {
            if (json == "[DONE]")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(json);
            Collect(doc.RootElement, result);
        }

        return result;
    }

    /// <summary>Fails when any event still carries a non-null separated reasoning field.</summary>
    public static void NoReasoningFields(IEnumerable<string> jsonEvents)
    {
        foreach (string json in jsonEvents)
        {
            if (json == "[DONE]")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(json);
            AssertNoReasoning(doc.RootElement, json);
        }
    }

    /// <summary>Raw text of every tool_calls value, in order.</summary>
    public static string ToolCalls(IEnumerable<string> jsonEvents)
    {
        var builder = new StringBuilder();
        foreach (string json in jsonEvents)
        {
            if (json == "[DONE]")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(json);
            CollectToolCalls(doc.RootElement, builder);
        }

        return builder.ToString();
    }

    /// <summary>Number of events whose top-level usage is not null.</summary>
    public static int UsageEvents(IEnumerable<string> jsonEvents)
    {
        int count = 0;
        foreach (string json in jsonEvents)
        {
            if (json == "[DONE]")
            {
                continue;
            }

            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("usage", out JsonElement usage)
                && usage.ValueKind != JsonValueKind.Null)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>A distinctive piece from the middle of a thought, to prove it does not survive.</summary>
    public static string Snippet(string thought)
    {
        string trimmed = thought.Trim();
        int length = Math.Min(40, trimmed.Length);
        return trimmed.Substring((trimmed.Length - length) / 2, length);
    }

    private static void Collect(JsonElement element, List<string> result)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                result.Add(element.GetString()!);
                break;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    Collect(property.Value, result);
                }

                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Collect(item, result);
                }

                break;
        }
    }

    private static void AssertNoReasoning(JsonElement element, string json)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if ((Array.IndexOf(s_reasoningKeys, property.Name) >= 0 && property.Value.ValueKind == JsonValueKind.String)
                    || (property.Name == "reasoning_details" && property.Value.GetArrayLength() > 0))
                {
                    Assert.Fail($"Reasoning field {property.Name} survived in {json}");
                }

                AssertNoReasoning(property.Value, json);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                AssertNoReasoning(item, json);
            }
        }
    }

    private static void CollectToolCalls(JsonElement element, StringBuilder builder)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                if (property.Name == "tool_calls")
                {
                    builder.Append(property.Value.GetRawText()).Append('\n');
                }
                else
                {
                    CollectToolCalls(property.Value, builder);
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
            {
                CollectToolCalls(item, builder);
            }
        }
    }
}
