namespace CotProxy.Http.Server;

/// <summary>
/// Writes an error response in the shape the application's clients parse. The server uses it for requests it rejects
/// and handlers that fail; the forwarder for upstream failures. The server itself knows no body shape beyond plain text.
/// </summary>
internal interface IErrorResponseWriter
{
    /// <summary>A complete response (Content-Length framed) with <paramref name="status"/>, a sentence for people and, where there is one, a code for programs.</summary>
    ValueTask WriteErrorAsync(HttpResponse response, int status, string message, string? code, CancellationToken cancellationToken);
}
