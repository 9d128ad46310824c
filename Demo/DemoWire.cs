using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using CotProxy.Http.Server;

namespace CotProxy.Demo;

/// <summary>The bytes every demo API writes: JSON documents, server-sent events, ids and the token pace.</summary>
internal static class DemoWire
{
    // The demo has no tokenizer: every prompt counts as this many tokens.
    public const int PromptTokens = 12;

    private static long s_ids = Environment.TickCount64;

    /// <summary>A fresh id with <paramref name="prefix"/> (chatcmpl-demo, resp_demo, msg_demo...): unique in this process.</summary>
    public static string NewId(string prefix) => prefix + Interlocked.Increment(ref s_ids).ToString(CultureInfo.InvariantCulture);

    // Not on the proxy's path: the demo builds its documents this way, so a closure is fine.
    public static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new PooledByteBuffer(512);
        using (var writer = JsonOutput.CreateWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sends the head of an event stream (200, text/event-stream, chunked) before the first event.</summary>
    public static void StartEventStream(HttpResponse response)
    {
        response.Headers.Add(new("Content-Type", "text/event-stream"));
        response.Headers.Add(new("Cache-Control", "no-cache"));
        response.Start(200, contentLength: null);
    }

    /// <summary>
    /// One event, flushed at once (WHATWG HTML §9.2: an optional "event:" line naming its type, a "data:" line, a blank
    /// line ending it). OpenAI's Responses API and Anthropic's Messages API name every event; chat completions name none.
    /// </summary>
    public static ValueTask<FlushResult> WriteEventAsync(HttpResponse response, string? eventName, byte[] json, CancellationToken cancellationToken)
    {
        if (eventName is not null)
        {
            response.Write("event: "u8);
            response.Write(System.Text.Encoding.UTF8.GetBytes(eventName));
            response.Write("\n"u8);
        }

        response.Write("data: "u8);
        response.Write(json);
        return response.WriteAsync("\n\n"u8, cancellationToken);
    }

    /// <summary>Waits one token's time (none when the request set <c>demo_token_delay_ms</c> to 0).</summary>
    public static Task PaceAsync(DemoRequest request, int tokens, CancellationToken cancellationToken) =>
        request.TokenDelayMs > 0 && tokens > 0 ? Task.Delay(request.TokenDelayMs * tokens, cancellationToken) : Task.CompletedTask;
}
