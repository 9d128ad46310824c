using CotProxy.Tests.Support;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class DisconnectTests
{
    // Generous for a loaded 2-core machine; the proxy reacts to the client's FIN at once.
    private const int CancelWithinMs = 5_000;

    [Fact]
    public async Task ClientClosesBeforeResponse_UpstreamRequestCancelled()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new RecordingHandler { Respond = (context, _) => WaitForAbortAsync(context, arrived, cancelled) };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        var client = await proxy.ConnectAsync();

        await client.SendAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"model\":\"m\"}");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        client.Dispose();

        // A llama.cpp slot is only freed when its HTTP request goes away: the upstream must see the cancellation.
        await cancelled.Task.WaitAsync(TimeSpan.FromMilliseconds(CancelWithinMs));
    }

    [Fact]
    public async Task ClientClosesMidStream_UpstreamRequestCancelled()
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                context.Response.Headers.Add(new("Content-Type", "text/event-stream"));
                context.Response.Start(200, contentLength: null);
                await context.Response.WriteAsync("data: one\n\n"u8, context.Aborted);
                await WaitForAbortAsync(context, arrived, cancelled);
            },
        };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);
        var client = await IncrementalConnection.OpenAsync(proxy.EndPoint);

        await client.SendAsync("GET /v1/stream HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        await client.ReadUntilAsync("data: one\n\n");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        client.Dispose();

        await cancelled.Task.WaitAsync(TimeSpan.FromMilliseconds(CancelWithinMs));
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\n", "10\r\n0123456789abcdef\r\n")]
    [InlineData("Content-Length: 100\r\n", "0123456789abcdef")]
    public async Task ClientClosesMidUpload_UpstreamConnectionClosedWithoutCompleteBody(string framing, string partialBody)
    {
        using var upstream = new ConnectionRecorder();
        await using var proxy = new ProxyFixture(upstream.BaseUrl);
        var client = await proxy.ConnectAsync();

        await client.SendAsync($"POST /v1/files HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/octet-stream\r\n{framing}\r\n{partialBody}");
        await Task.Delay(200);
        client.Dispose();
        var sent = System.Text.Encoding.Latin1.GetString(await upstream.ClosedAsync(TimeSpan.FromMilliseconds(CancelWithinMs)));

        // A truncated upload must end the upstream connection, never arrive as a body that looks whole (a final 0 chunk).
        Assert.DoesNotContain("0\r\n\r\n", sent, StringComparison.Ordinal);
        var headEnd = sent.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headEnd < 0 || sent.Length - headEnd - 4 < 100, sent);
    }

    private static async Task WaitForAbortAsync(HttpContext context, TaskCompletionSource arrived, TaskCompletionSource cancelled)
    {
        arrived.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, context.Aborted);
        }
        catch (OperationCanceledException)
        {
            cancelled.TrySetResult();
            throw;
        }
    }
}
