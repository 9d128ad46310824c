using CotProxy.Tests.Support;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Integration.Server;

public class ShutdownTests
{
    /// <summary>Answers after a delay, or when cancelled records that it was.</summary>
    private sealed class SlowHandler(TimeSpan delay) : IHttpHandler
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask HandleAsync(HttpContext context)
        {
            Started.TrySetResult();
            try
            {
                await Task.Delay(delay, context.Aborted);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }

            context.Response.Start(200, 4);
            context.Response.Write("done"u8);
            await context.Response.CompleteAsync(context.Aborted);
        }
    }

    [Fact]
    public async Task Stop_InFlightRequest_FinishesThenConnectionCloses()
    {
        var handler = new SlowHandler(TimeSpan.FromMilliseconds(500));
        await using var server = new TestServer(handler);
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await handler.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var stop = server.Server.StopAsync(TimeSpan.FromSeconds(10));
        var text = await client.ReadToEndAsync();
        await stop;

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Connection: close\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\ndone", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_RequestOutlastsDrainTimeout_Aborted()
    {
        var handler = new SlowHandler(TimeSpan.FromMinutes(5));
        await using var server = new TestServer(handler);
        using var client = await server.ConnectAsync();
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await handler.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await server.Server.StopAsync(TimeSpan.FromMilliseconds(200));

        await handler.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await client.IsClosedByServerAsync(5000));
    }

    [Fact]
    public async Task Stop_NewConnections_Refused()
    {
        var server = new TestServer(new EchoHandler());
        var endpoint = server.EndPoint;
        await server.Server.StopAsync(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(async () => (await RawConnection.OpenAsync(endpoint)).Dispose());
        await server.DisposeAsync();
    }
}
