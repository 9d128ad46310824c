using System.Text;
using System.Threading.Channels;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Support;

/// <summary>
/// An upstream handler that records every request it receives (method, target, headers, body bytes) and then answers
/// as the test says; by default 200 with a small JSON body.
/// </summary>
internal sealed class RecordingHandler : IHttpHandler
{
    private readonly Channel<RecordedRequest> _received = Channel.CreateUnbounded<RecordedRequest>();
    private int _count;

    /// <summary>Answers one recorded request; the default answers 200 <c>{"ok":true}</c>.</summary>
    public Func<HttpContext, RecordedRequest, Task> Respond { get; set; } = (context, _) => WriteAsync(context, 200, "application/json", """{"ok":true}""");

    public int Count => Volatile.Read(ref _count);

    public async ValueTask HandleAsync(HttpContext context)
    {
        using var body = await context.Body.ReadAllAsync(context.Aborted);
        var request = new RecordedRequest(context.Request.Method, context.Request.Target, [.. context.Request.Headers], body.WrittenSpan.ToArray());
        Interlocked.Increment(ref _count);
        _received.Writer.TryWrite(request);
        await Respond(context, request);
    }

    /// <summary>The next request received, waiting at most <paramref name="timeoutMs"/>.</summary>
    public async Task<RecordedRequest> NextAsync(int timeoutMs = 10_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            return await _received.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("The upstream received no request in time.");
        }
    }

    public static Task WriteAsync(HttpContext context, int status, string contentType, string body, params (string Name, string Value)[] headers) =>
        WriteAsync(context, status, contentType, Encoding.UTF8.GetBytes(body), headers);

    public static async Task WriteAsync(HttpContext context, int status, string contentType, byte[] body, params (string Name, string Value)[] headers)
    {
        var response = context.Response;
        response.Headers.Add(new("Content-Type", contentType));
        foreach (var (name, value) in headers)
        {
            response.Headers.Add(new(name, value));
        }

        response.Start(status, body.Length);
        response.Write(body);
        await response.CompleteAsync(context.Aborted);
    }
}
