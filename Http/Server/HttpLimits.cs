namespace CotProxy.Http.Server;

/// <summary>Bounds on what one client may send and how long it may take.</summary>
internal sealed class HttpLimits
{
    public int MaxRequestLineBytes { get; init; } = 8 * 1024;
    public int MaxHeaderBytes { get; init; } = 32 * 1024;
    public int MaxHeaderCount { get; init; } = 100;
    public long MaxRequestBodyBytes { get; init; } = 32L * 1024 * 1024;
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan RequestBodyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    // nginx closes an idle keep-alive connection after 75 s (keepalive_timeout default).
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);
}
