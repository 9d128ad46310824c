using System.Text;
using System.Text.Json;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>Requests to the demo model itself (no proxy) over a loopback socket, and its event streams read back.</summary>
internal static class DemoCalls
{
    public static async Task<RawResponse> PostAsync(TestServer demo, string target, string json)
    {
        using var connection = await demo.ConnectAsync();
        var body = Encoding.UTF8.GetBytes(json);
        var head = $"POST {target} HTTP/1.1\r\nHost: demo.test\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await connection.SendAsync([.. Encoding.Latin1.GetBytes(head), .. body]);
        return await connection.ReadResponseAsync();
    }

    /// <summary>
    /// The events of a stream, each with its <c>event:</c> name (null when it has none) and its data (WHATWG HTML §9.2:
    /// events end at a blank line). A data line that is not JSON (<c>[DONE]</c>) comes back with a JSON null.
    /// </summary>
    public static List<SseEvent> Events(RawResponse response)
    {
        Assert.Equal(200, response.Status);
        Assert.StartsWith("text/event-stream", response.Header("Content-Type"), StringComparison.Ordinal);
        var text = ResponseBytes.Utf8(response);
        Assert.EndsWith("\n\n", text, StringComparison.Ordinal);
        var events = new List<SseEvent>();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    Assert.Null(name);
                    name = line["event: ".Length..];
                }
                else
                {
                    Assert.StartsWith("data: ", line, StringComparison.Ordinal);
                    Assert.Null(data);
                    data = line["data: ".Length..];
                }
            }

            Assert.NotNull(data);
            var json = data == "[DONE]" ? default : JsonDocument.Parse(data).RootElement.Clone();
            events.Add(new SseEvent(name, data, json));
        }

        return events;
    }

    /// <summary>The JSON object of a whole (non-streamed) answer, after checking its status and content type.</summary>
    public static JsonElement Body(RawResponse response)
    {
        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        return ResponseBytes.Json(response);
    }

    /// <summary>The string <paramref name="name"/> of <paramref name="element"/> (null when missing or null).</summary>
    public static string? Text(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>One server-sent event: its <c>event:</c> name, its data as sent, and the data parsed (default for <c>[DONE]</c>).</summary>
internal sealed record SseEvent(string? Name, string Data, JsonElement Json)
{
    public string? Type => Json.ValueKind == JsonValueKind.Object ? Json.Text("type") : null;
}
