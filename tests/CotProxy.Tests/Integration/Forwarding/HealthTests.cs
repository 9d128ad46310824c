using System.Text.Json;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

public sealed class HealthTests
{
    [Theory]
    [InlineData(200)]
    [InlineData(404)]
    [InlineData(401)]
    public async Task Health_UpstreamAnswersBelow500_Healthy(int upstreamStatus)
    {
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, upstreamStatus, "text/plain", "whatever") };
        await using var server = new TestServer(upstream);
        var target = new Uri($"http://127.0.0.1:{server.EndPoint.Port}/v1/");
        await using var proxy = new ProxyFixture(target);

        var response = await proxy.GetAsync("/health");

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
        var json = ResponseBytes.Json(response);
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        Assert.Equal(target.ToString(), json.GetProperty("target_url").GetString());
        Assert.False(json.TryGetProperty("error", out _));
        Assert.Equal("/v1/", (await upstream.NextAsync()).Target);
    }

    [Fact]
    public async Task Health_ConnectionRefused_503WithError()
    {
        var port = ProxyFixture.UnusedPort();
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{port}/"));

        var response = await proxy.GetAsync("/health");

        Assert.Equal(503, response.Status);
        var json = ResponseBytes.Json(response);
        Assert.Equal("unhealthy", json.GetProperty("status").GetString());
        Assert.Equal($"http://127.0.0.1:{port}/", json.GetProperty("target_url").GetString());
        Assert.Contains("refused", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_UpstreamAnswers500_503WithError()
    {
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 500, "text/plain", "boom") };
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.GetAsync("/health");

        Assert.Equal(503, response.Status);
        var json = ResponseBytes.Json(response);
        Assert.Equal("unhealthy", json.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("error").ValueKind);
        Assert.Contains("500", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_UpstreamAcceptsButNeverAnswers_503AfterHealthTimeout()
    {
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(""));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, healthTimeout: TimeSpan.FromMilliseconds(300));

        var response = await proxy.GetAsync("/health");

        Assert.Equal(503, response.Status);
        Assert.Contains("did not answer", ResponseBytes.Json(response).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_UpstreamDown_StillAlive()
    {
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{ProxyFixture.UnusedPort()}/"));

        var live = await proxy.GetAsync("/health/live");
        var ready = await proxy.GetAsync("/health/ready");

        Assert.Equal(200, live.Status);
        Assert.Equal("alive", ResponseBytes.Json(live).GetProperty("status").GetString());
        Assert.Equal(503, ready.Status);
        Assert.Equal("not_ready", ResponseBytes.Json(ready).GetProperty("status").GetString());
        Assert.Contains("refused", ResponseBytes.Json(ready).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ready_UpstreamAnswers_Ready()
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.GetAsync("/health/ready");

        Assert.Equal(200, response.Status);
        Assert.Equal("ready", ResponseBytes.Json(response).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Ready_ProbesInQuickSuccession_UpstreamAskedOnce()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var first = await proxy.GetAsync("/health/ready");
        var second = await proxy.GetAsync("/health/ready");
        var health = await proxy.GetAsync("/health");

        Assert.Equal((200, 200, 200), (first.Status, second.Status, health.Status));
        // The readiness answer is shared for a moment; /health (the container health check's) asks every time.
        Assert.Equal(2, upstream.Count);
    }

    [Fact]
    public async Task Ready_StopSignalWhileInFlight_503Draining()
    {
        // The target holds the probe, so the readiness check is still in flight when the graceful stop begins.
        await using var upstream = new RawUpstream(RawUpstream.WriteAndHang(""));
        await using var proxy = new ProxyFixture(upstream.BaseUrl, healthTimeout: TimeSpan.FromSeconds(2));
        using var connection = await proxy.ConnectAsync();
        await connection.SendAsync("GET /health/ready HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        await Task.Delay(500);

        var stopping = proxy.StopAsync(TimeSpan.FromSeconds(10));
        var response = await connection.ReadResponseAsync();
        await stopping;

        Assert.Equal(503, response.Status);
        Assert.Equal("draining", ResponseBytes.Json(response).GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("POST /health/live")]
    [InlineData("get /health/ready")]
    public async Task LiveAndReady_OtherMethods_405(string requestLine)
    {
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{ProxyFixture.UnusedPort()}/"));

        var response = await proxy.SendAsync($"{requestLine} HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
    }

    [Fact]
    public async Task Health_Head_StatusWithoutBody()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl);

        var response = await proxy.SendAsync("HEAD /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n", headRequest: true);

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.Header("Content-Type"));
    }
}
