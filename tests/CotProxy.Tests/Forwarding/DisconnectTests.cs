using CotProxy.Http;
using CotProxy.Tests.Wire;

namespace CotProxy.Tests.Forwarding;

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
