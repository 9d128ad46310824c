using CotProxy.Tests.Support;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Integration.Server;

public class DisconnectTests
{
    /// <summary>Reads the body, then waits until the request is aborted, as a long non-streamed generation would.</summary>
    private sealed class WaitForAbortHandler : IHttpHandler
    {
        public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask HandleAsync(HttpContext context)
        {
            using var body = await context.Body.ReadAllAsync(context.Aborted);
            Waiting.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.Aborted);
            }
            catch (OperationCanceledException)
            {
                Aborted.TrySetResult();
                throw;
            }
        }
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")]
    [InlineData("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")]
    public async Task ClientCloses_WhileHandlerWaits_RequestAborted(string request)
    {
        var handler = new WaitForAbortHandler();
        await using var server = new TestServer(handler);
        var client = await server.ConnectAsync();
        await client.SendAsync(request);
        await handler.Waiting.Task.WaitAsync(TimeSpan.FromSeconds(10));

        client.Dispose();

        await handler.Aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PipelinedRequest_WhileFirstInFlight_NotMistakenForDisconnect()
    {
        await using var server = new TestServer(new EchoHandler());
        using var client = await server.ConnectAsync();
        await client.SendAsync("POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na");
        await client.SendAsync("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = await client.ReadResponseAsync();
        var second = await client.ReadResponseAsync();
        Assert.Equal("POST /1 a", first.Body);
        Assert.Equal("GET /2 ", second.Body);
    }
}
