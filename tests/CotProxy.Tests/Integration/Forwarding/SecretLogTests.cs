using System.Text;
using System.Text.RegularExpressions;
using CotProxy.Logging;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// Issue 14, item 2: a credential never reaches the log, however it arrives (header, cookie, query string, JSON body
/// field, URL user-info). Every secret below holds "s3cr3t"; the whole log output is searched for it.
/// </summary>
[Collection(LogCollection.Name)]
public sealed class SecretLogTests
{
    private const string Marker = "s3cr3t";

    [Fact]
    public async Task DebugOn_CredentialsInHeaders_MaskedWhole()
    {
        var text = await CaptureAsync(async proxy =>
        {
            await proxy.SendAsync("POST", "/v1/chat/completions",
                "Content-Type: application/json\r\n"
                + "Authorization: sk-s3cr3t-01 x\r\n"
                + "Proxy-Authorization: Basic s3cr3t-02\r\n"
                + "Cookie: sid=s3cr3t-03; other=s3cr3t-04\r\n"
                + "X-Goog-Api-Key: s3cr3t-05\r\n"
                + "anthropic-api-key: s3cr3t-06\r\n"
                + "X-Session-Id: s3cr3t-07\r\n",
                Encoding.UTF8.GetBytes("""{"model":"m","max_tokens":7}"""));
        }, upstreamHeaders: [("Set-Cookie", "sid=s3cr3t-08; Path=/; HttpOnly")]);

        Assert.Contains("Authorization=***;", text, StringComparison.Ordinal);
        Assert.Contains("Proxy-Authorization=***;", text, StringComparison.Ordinal);
        Assert.Contains("Cookie=***;", text, StringComparison.Ordinal);
        Assert.Contains("X-Goog-Api-Key=***;", text, StringComparison.Ordinal);
        Assert.Contains("anthropic-api-key=***;", text, StringComparison.Ordinal);
        Assert.Contains("Set-Cookie=***;", text, StringComparison.Ordinal);
        Assert.Contains("\"max_tokens\":7", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions?api_key=s3cr3t-11&x=1", "/v1/chat/completions?api_key=***&x=1")]
    [InlineData("/v1/chat/completions?x=1&token=s3cr3t-12", "/v1/chat/completions?x=1&token=***")]
    [InlineData("/v1/chat/completions?key=s3cr3t-13", "/v1/chat/completions?key=***")]
    [InlineData("/v1/chat/completions?api%5Fkey=s3cr3t-14&API%2DKEY=s3cr3t-15", "/v1/chat/completions?api%5Fkey=***&API%2DKEY=***")]
    [InlineData("/v1/chat/completions?x=1&password=s3cr3t-16;session=s3cr3t-17", "/v1/chat/completions?x=1&password=***;session=***")]
    public async Task QueryStringSecret_EveryLogLine_ValueMasked(string target, string logged)
    {
        var text = await CaptureAsync(proxy => proxy.SendAsync("POST", target, "Content-Type: application/json\r\n", Encoding.UTF8.GetBytes("""{"model":"m"}""")));

        Assert.Contains($" access POST {logged} model=m status=200", text, StringComparison.Ordinal);
        Assert.Contains($" debug request POST {logged} headers:", text, StringComparison.Ordinal);
        Assert.Contains($" debug response POST {logged} status=200", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryStringSecret_DebugOff_AccessLineMasked()
    {
        var text = await CaptureAsync(proxy => proxy.GetAsync("/v1/models?api_key=s3cr3t-21"), debug: false);

        Assert.Contains(" access GET /v1/models?api_key=*** model=- status=200", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonBodySecretFields_AnyDepth_Masked()
    {
        const string Body = """
            {"model":"m","api_key":"s3cr3t-31","metadata":{"user":{"password":"s3cr3t-32","n":[{"client_secret":987654321}]}},
             "auth":{"type":"bearer","token":"s3cr3t-33"},"api\u005Fkey":"s3cr3t-34","max_tokens":9,"messages":[{"role":"user","content":"password: fine"},
             {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"secret\":\"s3cr3t-35\"}"}}]}]}
            """;
        var text = await CaptureAsync(proxy => proxy.PostJsonAsync("/v1/chat/completions", Body));

        Assert.Contains("\"api_key\":\"***\"", text, StringComparison.Ordinal);
        Assert.Contains("\"password\":\"***\"", text, StringComparison.Ordinal);
        Assert.Contains("\"client_secret\":\"***\"", text, StringComparison.Ordinal);
        Assert.Contains("\"auth\":\"***\"", text, StringComparison.Ordinal);
        Assert.Contains("\"max_tokens\":9", text, StringComparison.Ordinal);
        Assert.Contains("password: fine", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, text, StringComparison.Ordinal);
        Assert.DoesNotContain("987654321", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(30)]
    public async Task JsonBodySecretField_CutByTheLoggedLimit_StillMasked(int cutInsideValue)
    {
        // The DEBUG log shows the first 2048 bytes; the password's value is cut that many bytes in.
        const string Head = """{"model":"m","messages":[{"role":"user","content":" """;
        const string Middle = "\"}],\"password\":\"";
        var padding = 2048 - cutInsideValue - Head.Length - Middle.Length;
        var body = Head + new string('x', padding) + Middle + "s3cr3t-41-" + new string('z', 100) + "\"}";
        Assert.Equal(2048 - cutInsideValue, body.IndexOf(Marker, StringComparison.Ordinal));

        var text = await CaptureAsync(proxy => proxy.PostJsonAsync("/v1/chat/completions", body));

        Assert.Contains("\"password\":", text, StringComparison.Ordinal);
        Assert.DoesNotContain("s3c", text, StringComparison.Ordinal);
        Assert.DoesNotContain("zzz", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TargetUrlWithUserInfo_StartLogHealthAndErrors_NeverShowIt()
    {
        var port = ProxyFixture.UnusedPort();
        await using var proxy = await ProxyProcess.StartAsync(
            ["--host", "127.0.0.1", "--port", "0"],
            new Dictionary<string, string> { ["TARGET_BASE_URL"] = $"http://user:s3cr3t-61@127.0.0.1:{port}/v1", ["DEBUG"] = "true" });

        using (var client = await RawConnection.OpenAsync(proxy.EndPoint))
        {
            await client.SendAsync("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            var health = await client.ReadResponseAsync();
            Assert.Equal(503, health.Status);
            Assert.Contains("\"target_url\":\"http://***@127.0.0.1:", health.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(Marker, health.Body, StringComparison.Ordinal);
        }

        using (var client = await RawConnection.OpenAsync(proxy.EndPoint))
        {
            await client.SendAsync("GET /v1/models?api_key=s3cr3t-63 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            var failed = await client.ReadResponseAsync();
            Assert.Equal(502, failed.Status);
            Assert.DoesNotContain(Marker, failed.Body, StringComparison.Ordinal);
        }

        await proxy.WaitForLineAsync(new Regex(" warn GET "), TimeSpan.FromSeconds(10));
        await proxy.WaitForLineAsync(new Regex(" access GET /v1/models"), TimeSpan.FromSeconds(10));
        Assert.Contains("-> http://***@127.0.0.1:", proxy.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, proxy.Output, StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="send"/> against a proxy with the log captured, and returns the whole log output.</summary>
    private static async Task<string> CaptureAsync(Func<ProxyFixture, Task> send, bool debug = true, (string Name, string Value)[]? upstreamHeaders = null)
    {
        var sink = new MemoryStream();
        Log.Configure(sink, debug);
        try
        {
            var upstream = new RecordingHandler
            {
                Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"ok":true}""", upstreamHeaders ?? []),
            };
            await using var server = new TestServer(upstream);
            await using var proxy = new ProxyFixture(server.BaseUrl);
            await send(proxy);
            await Task.Delay(100);
            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        return Encoding.UTF8.GetString(sink.ToArray());
    }
}
