using System.Net;
using CotProxy.Http.Server;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Server;

/// <summary>The server knows no application error shape: plain text unless the layer above hands it a writer.</summary>
public sealed class ErrorShapeTests
{
    [Fact]
    public async Task Rejection_NoErrorWriterGiven_PlainTextMessage()
    {
        await using var server = new HttpServer(new IPEndPoint(IPAddress.Loopback, 0), new EchoHandler(), new HttpLimits());
        server.Start();
        using var connection = await RawConnection.OpenAsync(server.LocalEndPoint);

        await connection.SendAsync("GET / HTTP/1.1\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Equal("text/plain; charset=utf-8", response.Header("Content-Type"));
        Assert.Equal(HttpRejection.MessageFor(RejectionReason.MissingOrDuplicateHost, new HttpLimits()) + "\n", response.Body);
    }

    [Fact]
    public async Task Rejection_ErrorWriterGiven_ItsShape()
    {
        await using var server = new TestServer(new EchoHandler());
        using var connection = await server.ConnectAsync();

        await connection.SendAsync("GET / HTTP/1.1\r\n\r\n");
        var response = await connection.ReadResponseAsync();

        Assert.Equal(400, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        Assert.Contains("\"code\":\"MissingOrDuplicateHost\"", response.Body, StringComparison.Ordinal);
    }
}
