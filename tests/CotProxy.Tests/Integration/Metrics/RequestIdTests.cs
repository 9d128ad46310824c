using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CotProxy.Logging;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Metrics;

/// <summary>X-Request-Id (README, "Metrics"): kept or made, forwarded, returned, in every log line; LOG_FORMAT=json.</summary>
[Collection(LogCollection.Name)]
public sealed class RequestIdTests
{
    [Fact]
    public async Task ClientId_ForwardedReturnedAndInTheLogLines()
    {
        var upstream = new RecordingHandler();
        var log = await CaptureAsync(json: false, async () =>
        {
            await using var pair = ProxyPair.Start(upstream);
            var response = await pair.PostAsync("""{"model":"m"}""", extraHeaders: "X-Request-Id: trace-42.a:b\r\n");
            Assert.Equal("trace-42.a:b", response.Header("X-Request-Id"));
            Assert.Equal(["trace-42.a:b"], (await upstream.NextAsync()).Headers.Where(h => h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
        });

        Assert.Matches(new Regex(@" access POST /v1/chat/completions model=m status=200 bytes=\d+ ms=\d+\.\d request_id=trace-42\.a:b\n"), log);
    }

    [Theory]
    [InlineData("")]
    [InlineData("X-Request-Id: has space\r\n")]
    [InlineData("X-Request-Id: quote\"d\r\n")]
    public async Task NoOrUnusableClientId_OneIsMade_AndSentUpstreamInstead(string header)
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream);
        var first = await pair.PostAsync("""{"model":"m"}""", extraHeaders: header);
        var second = await pair.PostAsync("""{"model":"m"}""", extraHeaders: header);

        var id = first.Header("X-Request-Id");
        Assert.Matches("^[0-9a-f]{8}-[0-9]+$", id);
        Assert.NotEqual(id, second.Header("X-Request-Id"));
        Assert.Equal([id], (await upstream.NextAsync()).Headers.Where(h => h.Key.Equals("X-Request-Id", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));
    }

    [Fact]
    public async Task TooLongClientId_Replaced()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream);
        var longId = new string('a', 129);

        var response = await pair.PostAsync("""{"model":"m"}""", extraHeaders: $"X-Request-Id: {longId}\r\n");

        Assert.Matches("^[0-9a-f]{8}-[0-9]+$", response.Header("X-Request-Id"));
        Assert.Equal(new string('b', 128), (await pair.PostAsync("""{"model":"m"}""", extraHeaders: $"X-Request-Id: {new string('b', 128)}\r\n")).Header("X-Request-Id"));
    }

    [Fact]
    public async Task UpstreamError_ErrorResponseAndWarningCarryTheId()
    {
        var log = await CaptureAsync(json: false, async () =>
        {
            await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{ProxyFixture.UnusedPort()}/v1"));
            var response = await proxy.SendAsync("POST", "/v1/chat/completions", "Content-Type: application/json\r\nX-Request-Id: failing-1\r\n", "{}"u8.ToArray());
            Assert.Equal(502, response.Status);
            Assert.Equal("failing-1", response.Header("X-Request-Id"));
        });

        Assert.Matches(new Regex(@" warn POST http://127\.0\.0\.1:\d+/v1/chat/completions: .*refused.* request_id=failing-1\n"), log);
        Assert.Matches(new Regex(@" access POST /v1/chat/completions model=- status=502 .* request_id=failing-1\n"), log);
    }

    [Fact]
    public async Task UpstreamsOwnId_ReturnedAsUpstreamRequestId_SameOneDropped()
    {
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", "{}", ("X-Request-Id", "req_upstream")) };
        await using var pair = ProxyPair.Start(upstream);

        var response = await pair.PostAsync("""{"model":"m"}""", extraHeaders: "X-Request-Id: mine\r\n");
        Assert.Equal(["mine"], response.HeaderValues("X-Request-Id"));
        Assert.Equal(["req_upstream"], response.HeaderValues("X-Upstream-Request-Id"));

        var echoed = await pair.PostAsync("""{"model":"m"}""", extraHeaders: "X-Request-Id: req_upstream\r\n");
        Assert.Equal(["req_upstream"], echoed.HeaderValues("X-Request-Id"));
        Assert.Empty(echoed.HeaderValues("X-Upstream-Request-Id"));
    }

    [Fact]
    public async Task JsonFormat_EveryLineOneObject_WithTheAccessFields()
    {
        var log = await CaptureAsync(json: true, async () =>
        {
            await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{ProxyFixture.UnusedPort()}/v1"));
            var response = await proxy.SendAsync("POST", "/v1/chat/completions?api_key=secret", "Content-Type: application/json\r\nX-Request-Id: json-1\r\n", """{"model":"q\"uote"}"""u8.ToArray());
            Assert.Equal(502, response.Status);
        });

        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var objects = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.All(objects, o =>
        {
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", o.GetProperty("ts").GetString());
            Assert.False(string.IsNullOrEmpty(o.GetProperty("level").GetString()));
            Assert.False(string.IsNullOrEmpty(o.GetProperty("msg").GetString()));
        });
        var access = Assert.Single(objects, o => o.GetProperty("msg").GetString() == "access" && o.GetProperty("request_id").GetString() == "json-1");
        Assert.Equal("info", access.GetProperty("level").GetString());
        Assert.Equal("POST", access.GetProperty("method").GetString());
        Assert.Equal("/v1/chat/completions?api_key=***", access.GetProperty("target").GetString());
        Assert.Equal("q\"uote", access.GetProperty("model").GetString());
        Assert.Equal(502, access.GetProperty("status").GetInt32());
        Assert.True(access.GetProperty("bytes").GetInt64() > 0);
        Assert.True(access.GetProperty("ms").GetDouble() >= 0);
        var warning = Assert.Single(objects, o => o.GetProperty("level").GetString() == "warn" && o.TryGetProperty("request_id", out var id) && id.GetString() == "json-1");
        Assert.Contains("refused", warning.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void JsonFormat_MessageWithControlsAndQuotes_StaysOneParsableLine()
    {
        var sink = new MemoryStream();
        Log.Configure(sink, debug: false, json: true);
        try
        {
            Log.Warn("a \"quoted\" \\ line\nwith\ttabs\u0001", "id-1");
            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        var text = Encoding.UTF8.GetString(sink.ToArray());
        var line = Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var o = JsonDocument.Parse(line).RootElement;
        Assert.Equal("a \"quoted\" \\ line\nwith\ttabs\u0001", o.GetProperty("msg").GetString());
        Assert.Equal("id-1", o.GetProperty("request_id").GetString());
        Assert.Equal("warn", o.GetProperty("level").GetString());
    }

    private static async Task<string> CaptureAsync(bool json, Func<Task> run)
    {
        var sink = new MemoryStream();
        Log.Configure(sink, debug: false, json);
        try
        {
            await run();
            await Task.Delay(50);
            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        return Encoding.UTF8.GetString(sink.ToArray());
    }
}
