using System.Text;

namespace CotProxy.Http.Server;

/// <summary>The server's own error shape when the application names none: the message as plain text.</summary>
internal sealed class PlainTextErrorWriter : IErrorResponseWriter
{
    public static readonly PlainTextErrorWriter Instance = new();

    private PlainTextErrorWriter()
    {
    }

    public ValueTask WriteErrorAsync(HttpResponse response, int status, string message, string? code, CancellationToken cancellationToken) =>
        response.WriteCompleteAsync(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(message + "\n"), cancellationToken);
}
