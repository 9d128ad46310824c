using CotProxy.Http.Server;

namespace CotProxy.Tests.Support;

/// <summary>
/// A well-behaved upstream that answers every request with a fixed body written as the given pieces, each written and
/// flushed on its own (after an optional pause), so the proxy receives it split as a real server's socket writes would
/// split it. It runs as a handler on <see cref="TestServer"/>, so the HTTP framing is always valid; for an upstream
/// that writes arbitrary or broken HTTP bytes, use <see cref="RawUpstream"/>.
/// </summary>
internal sealed class PiecewiseUpstream : IHttpHandler
{
    private readonly string? _contentType;
    private readonly IReadOnlyList<(byte[] Bytes, int PauseMs)> _pieces;
    private readonly bool _contentLength;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _headers;

    public PiecewiseUpstream(string? contentType, IReadOnlyList<(byte[] Bytes, int PauseMs)> pieces, bool contentLength = false, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        _contentType = contentType;
        _pieces = pieces;
        _contentLength = contentLength;
        _headers = headers ?? [];
    }

    public PiecewiseUpstream(string? contentType, IEnumerable<byte[]> pieces, bool contentLength = false, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
        : this(contentType, [.. pieces.Select(p => (p, 0))], contentLength, headers)
    {
    }

    /// <summary>The Accept-Encoding the proxy sent with the last request (null when none).</summary>
    public string? LastAcceptEncoding { get; private set; }

    public async ValueTask HandleAsync(HttpContext context)
    {
        using (await context.Body.ReadAllAsync(context.Aborted))
        {
            LastAcceptEncoding = context.Request.GetHeader("Accept-Encoding");
        }

        var response = context.Response;
        if (_contentType is not null)
        {
            response.Headers.Add(new("Content-Type", _contentType));
        }

        response.Headers.AddRange(_headers);
        response.Start(200, _contentLength ? _pieces.Sum(p => (long)p.Bytes.Length) : null);
        await response.FlushAsync(context.Aborted);
        foreach (var (bytes, pauseMs) in _pieces)
        {
            if (pauseMs > 0)
            {
                await Task.Delay(pauseMs, context.Aborted);
            }

            await response.WriteAsync(bytes, context.Aborted);
        }

        await response.CompleteAsync(context.Aborted);
    }
}
