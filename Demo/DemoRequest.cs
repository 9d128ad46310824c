using System.Text.Json;

namespace CotProxy.Demo;

/// <summary>The few fields of a chat completion request the demo model reads.</summary>
internal sealed class DemoRequest
{
    public string Model { get; private set; } = DemoModel.ModelId;

    public bool Stream { get; private set; }

    public bool IncludeUsage { get; private set; }

    public int? MaxTokens { get; private set; }

    public int TokenDelayMs { get; private set; } = DemoModel.DefaultTokenDelayMs;

    public string? LastUserMessage { get; private set; }

    public static DemoRequest? Parse(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var request = new DemoRequest();
            if (root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
            {
                request.Model = model.GetString()!;
            }

            request.Stream = root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
            request.IncludeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
            if (root.TryGetProperty("max_tokens", out var max) && max.TryGetInt32(out var maxTokens) && maxTokens > 0)
            {
                request.MaxTokens = maxTokens;
            }

            // A request may change the pace: 0 answers at once (tests, benchmarks), larger values mimic slow hardware.
            if (root.TryGetProperty("demo_token_delay_ms", out var delay) && delay.TryGetInt32(out var delayMs))
            {
                request.TokenDelayMs = Math.Clamp(delayMs, 0, 10_000);
            }

            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (var message in messages.EnumerateArray())
                {
                    if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var role) && role.ValueEquals("user"u8)
                        && message.TryGetProperty("content", out var content))
                    {
                        request.LastUserMessage = TextOf(content);
                    }
                }
            }

            return request;
        }
    }

    private static string? TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? text = null;
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                text = text is null ? t.GetString() : text + t.GetString();
            }
        }

        return text;
    }
}
