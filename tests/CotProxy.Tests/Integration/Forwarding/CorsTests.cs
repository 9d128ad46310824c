using System.Net;
using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>CORS_ALLOW_ORIGINS (README, "Browser clients (CORS)"): preflights answered here, responses marked, the target's own CORS headers replaced.</summary>
public sealed class CorsTests
{
    private static string Preflight(string origin) =>
        $"OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\n"
        + "Access-Control-Request-Headers: authorization, content-type\r\n\r\n";

    [Fact]
    public async Task Preflight_AllowedOrigin_AnsweredHereWithWhatWasAsked()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(server.BaseUrl, ["https://chat.example.com", "http://localhost:3000"]);

        var response = await SendAsync(proxy, Preflight("http://localhost:3000"));

        Assert.Equal(204, response.Status);
        Assert.Equal("http://localhost:3000", response.Header("Access-Control-Allow-Origin"));
        Assert.Equal("POST", response.Header("Access-Control-Allow-Methods"));
        Assert.Equal("authorization, content-type", response.Header("Access-Control-Allow-Headers"));
        Assert.Equal("600", response.Header("Access-Control-Max-Age"));
        Assert.Contains("Origin", response.Header("Vary"), StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Fact]
    public async Task Preflight_OtherOrigin_403NamingTheSetting()
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = Start(server.BaseUrl, ["https://chat.example.com"]);

        var response = await SendAsync(proxy, Preflight("https://evil.example"));

        Assert.Equal(403, response.Status);
        Assert.Null(response.Header("Access-Control-Allow-Origin"));
        Assert.Contains("CORS_ALLOW_ORIGINS", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Response_AllowedOrigin_MarkedAndTheTargetsCorsHeadersReplaced()
    {
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"ok":true}""",
                ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")),
        };
        await using var server = new TestServer(upstream);
        await using var proxy = Start(server.BaseUrl, ["https://chat.example.com"]);

        var response = await SendAsync(proxy, "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nOrigin: https://chat.example.com\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal(["https://chat.example.com"], response.HeaderValues("Access-Control-Allow-Origin"));
        Assert.Null(response.Header("Access-Control-Allow-Credentials"));
        Assert.Equal("Origin", response.Header("Vary"));
        Assert.Equal("""{"ok":true}""", response.Body);
    }

    [Fact]
    public async Task Response_OwnEndpointAndAnyOrigin_MarkedWithStar()
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = Start(server.BaseUrl, ["*"]);

        var response = await SendAsync(proxy, "GET /health/live HTTP/1.1\r\nHost: proxy.test\r\nOrigin: null\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        Assert.Null(response.Header("Vary"));
    }

    [Fact]
    public async Task Response_OtherOrigin_Unmarked()
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = Start(server.BaseUrl, ["https://chat.example.com"]);

        var response = await SendAsync(proxy, "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\nOrigin: https://evil.example\r\n\r\n");

        Assert.Equal(200, response.Status);
        Assert.Null(response.Header("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Off_PreflightForwardedToTheTarget()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = Start(server.BaseUrl, []);

        var response = await SendAsync(proxy, Preflight("https://chat.example.com"));

        Assert.Equal(200, response.Status);
        Assert.Equal("OPTIONS", (await upstream.NextAsync()).Method);
        Assert.Null(response.Header("Access-Control-Allow-Origin"));
    }

    private static ProxyHost Start(Uri target, string[] origins)
    {
        var settings = new ProxySettings { TargetBaseUrl = target, CorsAllowOrigins = origins };
        return ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));
    }

    private static async Task<RawResponse> SendAsync(ProxyHost proxy, string request)
    {
        using var connection = await RawConnection.OpenAsync(proxy.LocalEndPoint);
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync();
    }
}
