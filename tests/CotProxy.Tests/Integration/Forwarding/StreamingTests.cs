using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class StreamingTests
{
    [Fact]
    public async Task EventStream_CacheAndBufferingHeadersAdded()
    {
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "text/event-stream; charset=utf-8", "data: x\n\n", ("Cache-Control", "private, max-age=60")),
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.GetAsync("/v1/stream");

        // nginx buffers a proxied response unless told X-Accel-Buffering: no; caches must not keep an event stream.
        Assert.Equal(["no-cache"], response.HeaderValues("Cache-Control"));
        Assert.Equal("no", response.Header("X-Accel-Buffering"));
        Assert.Equal("data: x\n\n", response.Body);
    }

    [Fact]
    public async Task JsonResponse_NoStreamingHeadersAdded()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.GetAsync("/v1/models");

        Assert.Null(response.Header("X-Accel-Buffering"));
        Assert.Null(response.Header("Cache-Control"));
    }

    [Fact]
    public async Task EventStream_EachEventReachesClientBeforeUpstreamSendsNext()
    {
        var releases = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new("Content-Type", "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                for (var i = 0; i < releases.Length; i++)
                {
                    await context.Response.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"data: event {i}\n\n"), context.Aborted);
                    await releases[i].Task.WaitAsync(context.Aborted);
                }

                await context.Response.WriteAsync("data: [DONE]\n\n"u8, context.Aborted);
                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        using var client = await IncrementalConnection.OpenAsync(proxy.EndPoint);

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"model\":\"m\",\"stream\":true}   ");
        for (var i = 0; i < releases.Length; i++)
        {
            // The upstream is blocked until this event has reached the client: a buffering proxy fails here.
            var received = await client.ReadUntilAsync($"data: event {i}\n\n");
            Assert.DoesNotContain($"data: event {i + 1}", received, StringComparison.Ordinal);
            releases[i].SetResult();
        }

        var all = await client.ReadUntilAsync("\r\n0\r\n\r\n");
        Assert.Contains("Transfer-Encoding: chunked\r\n", all, StringComparison.Ordinal);
        Assert.Contains("data: [DONE]\n\n", all, StringComparison.Ordinal);
    }
}

/// <summary>
/// The proxy sends what it has whenever the upstream makes it wait, not after every read: the head of a body whose first
/// bytes are slow must still leave at once, and each event must still reach the client before the upstream sends the next,
/// filtered or not, whatever the body's type.
/// </summary>
public sealed class StreamingFlushTests
{
    public static TheoryData<string, string> Cases() => new()
    {
        { "text/event-stream", "" },
        { "text/event-stream", "model=m,enable_think_tag_filtering=true" },
        { "text/event-stream", "model=m,think_mode=split" },
        { "application/x-ndjson", "" },
        { "application/x-ndjson", "model=m,enable_think_tag_filtering=true" },
        { "application/octet-stream", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task UpstreamSilentAfterHead_HeadThenEachEventReachClientBeforeUpstreamGoesOn(string contentType, string llmParams)
    {
        var ndjson = contentType == "application/x-ndjson";
        string Event(int i) => ndjson
            ? $"{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",\"content\":\"answer {i}\"}},\"done\":false}}\n"
            : $"data: {{\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"answer {i}\"}}}}]}}\n\n";
        var releases = Enumerable.Range(0, 4).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new("Content-Type", contentType));
                context.Response.Start(200, contentLength: null);
                await context.Response.FlushAsync(context.Aborted);
                await releases[0].Task.WaitAsync(context.Aborted);
                for (var i = 1; i < releases.Length; i++)
                {
                    await context.Response.WriteAsync(System.Text.Encoding.UTF8.GetBytes(Event(i)), context.Aborted);
                    await releases[i].Task.WaitAsync(context.Aborted);
                }

                await context.Response.CompleteAsync(context.Aborted);
            },
        };
        await using var pair = ProxyPair.Start(upstream, llmParams, enableFiltering: llmParams.Length > 0);
        using var client = await IncrementalConnection.OpenAsync(pair.Proxy.LocalEndPoint);
        var path = ndjson ? "/api/chat" : "/v1/chat/completions";
        var body = "{\"model\":\"m\",\"stream\":true}";
        await client.SendAsync($"POST {path} HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");

        // The upstream holds its first byte until the client has the head: a proxy that waits for body bytes fails here.
        var head = await client.ReadUntilAsync("\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", head, StringComparison.Ordinal);
        releases[0].SetResult();
        for (var i = 1; i < releases.Length; i++)
        {
            var received = await client.ReadUntilAsync($"answer {i}");
            Assert.DoesNotContain($"answer {i + 1}", received, StringComparison.Ordinal);
            releases[i].SetResult();
        }

        await client.ReadUntilAsync("\r\n0\r\n\r\n");
    }
}
