using System.Net;
using CotProxy.Configuration;
using CotProxy.Tests.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Routing;

/// <summary>
/// Several upstreams in the config file (README, "Several upstreams"), each a real listener: routing by the model's
/// profile, the default upstream, round-robin with failover on a failed connect, and max_concurrent's queue and 503.
/// </summary>
public sealed class UpstreamRoutingTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Route_ProfileNamesAnUpstream_ItGetsTheRequestWithItsOwnKey()
    {
        var local = new RecordingHandler();
        var hosted = new RecordingHandler();
        await using var localServer = new TestServer(local);
        await using var hostedServer = new TestServer(hosted);
        await using var host = Start($$"""
            upstreams:
              local: { base_url: {{localServer.BaseUrl}}v1 }
              hosted: { base_url: {{hostedServer.BaseUrl}}v1, api_key: sk-hosted }
            profiles:
              gpt-4o: { upstream: hosted }
            """);

        Assert.Equal(200, (await PostChatAsync(host, "gpt-4o")).Status);
        var routed = await hosted.NextAsync();
        Assert.Equal(("/v1/chat/completions", "Bearer sk-hosted"), (routed.Target, routed.Header("Authorization")));

        // A model without a profile goes to the default upstream (the first in the file), without hosted's key.
        Assert.Equal(200, (await PostChatAsync(host, "qwen3")).Status);
        Assert.False((await local.NextAsync()).HasHeader("Authorization"));
        Assert.Equal((1, 1), (local.Count, hosted.Count));
    }

    [Fact]
    public async Task Route_PathWithoutModel_GoesToTheUpstreamNamedDefault()
    {
        var first = new RecordingHandler();
        var chosen = new RecordingHandler();
        await using var firstServer = new TestServer(first);
        await using var chosenServer = new TestServer(chosen);
        await using var host = Start($$"""
            upstreams:
              first: { base_url: {{firstServer.BaseUrl}}v1 }
              default: { base_url: {{chosenServer.BaseUrl}}v1 }
            profiles:
              m: { upstream: first }
            """);

        Assert.Equal(200, (await SendAsync(host, "GET /api/tags HTTP/1.1\r\nHost: proxy.test\r\n\r\n")).Status);
        Assert.Equal("/api/tags", (await chosen.NextAsync()).Target);

        Assert.Equal(200, (await PostChatAsync(host, "m")).Status);
        Assert.Equal("/v1/chat/completions", (await first.NextAsync()).Target);
    }

    [Fact]
    public async Task Route_UpstreamWithItsOwnTimeout_ItsSilenceEndsIn504NamingIt()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new RecordingHandler { Respond = async (context, _) => await release.Task };
        await using var slowServer = new TestServer(slow);
        await using var otherServer = new TestServer(new RecordingHandler());
        await using var host = Start($$"""
            upstreams:
              other: { base_url: {{otherServer.BaseUrl}}v1 }
              slow: { base_url: {{slowServer.BaseUrl}}v1, timeout: 0.2 }
            profiles:
              m: { upstream: slow }
            """);

        var response = await PostChatAsync(host, "m");
        release.SetResult();

        Assert.Equal(504, response.Status);
        Assert.Contains("sent no response within 0.2 s (upstream `slow`'s timeout)", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Route_DefaultUpstreamWithItsOwnTimeout_ModelsWithoutProfileWaitThatLong()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slowServer = new TestServer(new RecordingHandler { Respond = async (context, _) => await release.Task });
        await using var otherServer = new TestServer(new RecordingHandler());
        await using var host = Start($$"""
            upstreams:
              slow: { base_url: {{slowServer.BaseUrl}}v1, timeout: 0.2 }
              other: { base_url: {{otherServer.BaseUrl}}v1 }
            profiles:
              m: { upstream: other }
            """);

        var response = await PostChatAsync(host, "no-profile");
        release.SetResult();

        Assert.Equal(504, response.Status);
        Assert.Contains("sent no response within 0.2 s (upstream `slow`'s timeout)", response.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await PostChatAsync(host, "m")).Status);
    }

    [Fact]
    public async Task Route_DefaultUpstreamRefuses_TheMessageNamesItsBaseUrlSetting()
    {
        var port = ProxyFixture.UnusedPort();
        await using var host = Start($$"""
            upstreams:
              local: { base_url: http://127.0.0.1:{{port}}/v1 }
              hosted: { base_url: http://127.0.0.1:{{port}}/v2 }
            """);

        var response = await PostChatAsync(host, "m");

        Assert.Equal(502, response.Status);
        Assert.Contains($"Could not connect to the upstream at http://127.0.0.1:{port}: connection refused. Is the model server running, and is upstream `local`'s base_url right?", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoundRobin_TwoUpstreamsForOneModel_RequestsAlternate()
    {
        var a = new RecordingHandler();
        var b = new RecordingHandler();
        await using var aServer = new TestServer(a);
        await using var bServer = new TestServer(b);
        await using var host = Start($$"""
            upstreams:
              a: { base_url: {{aServer.BaseUrl}}v1 }
              b: { base_url: {{bServer.BaseUrl}}v1 }
            profiles:
              mixed: { upstream: [a, b] }
            """);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(200, (await PostChatAsync(host, "mixed")).Status);
        }

        Assert.Equal((2, 2), (a.Count, b.Count));
    }

    [Fact]
    public async Task Failover_OneUpstreamRefuses_EveryRequestServedByTheOther()
    {
        var alive = new RecordingHandler();
        await using var aliveServer = new TestServer(alive);
        await using var host = Start($$"""
            upstreams:
              dead: { base_url: http://127.0.0.1:{{ProxyFixture.UnusedPort()}}/v1 }
              alive: { base_url: {{aliveServer.BaseUrl}}v1 }
            profiles:
              mixed: { upstream: [dead, alive] }
            """);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(200, (await PostChatAsync(host, "mixed")).Status);
        }

        Assert.Equal(4, alive.Count);
    }

    [Fact]
    public async Task Failover_AllUpstreamsRefuse_502NamesTheLastTried()
    {
        var first = ProxyFixture.UnusedPort();
        var second = ProxyFixture.UnusedPort();
        await using var host = Start($$"""
            upstreams:
              one: { base_url: http://127.0.0.1:{{first}}/v1 }
              two: { base_url: http://127.0.0.1:{{second}}/v1 }
            profiles:
              mixed: { upstream: [one, two] }
            """);

        // The first request starts its turn at `one`, so `two` is tried last; the next one starts at `two`.
        var response = await PostChatAsync(host, "mixed");
        var next = await PostChatAsync(host, "mixed");

        Assert.Equal((502, 502), (response.Status, next.Status));
        Assert.Contains($"Could not connect to the upstream at http://127.0.0.1:{second}: connection refused.", response.Body, StringComparison.Ordinal);
        Assert.Contains($"Could not connect to the upstream at http://127.0.0.1:{first}: connection refused.", next.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxConcurrent_SlotsAndQueueFull_503WithRetryAfterThenTheQueuedAreServed()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                await release.Task;
                await RecordingHandler.WriteAsync(context, 200, "application/json", """{"ok":true}""");
            },
        };
        await using var server = new TestServer(upstream);
        await using var host = Start($$"""
            upstreams:
              local: { base_url: {{server.BaseUrl}}v1, max_concurrent: 1 }
            """);

        // One in flight holds the only slot until its response ends; 4 (4 x max_concurrent) may wait; one more may not.
        var inFlight = PostChatAsync(host, "m");
        await upstream.NextAsync();
        var waiting = Enumerable.Range(0, 5).Select(_ => PostChatAsync(host, "m")).ToList();
        var turnedAway = await Task.WhenAny(waiting);
        waiting.Remove(turnedAway);

        var busy = await turnedAway;
        Assert.Equal(503, busy.Status);
        Assert.Equal("1", busy.Header("Retry-After"));
        Assert.Contains("The upstream `local` is busy: it takes 1 request(s) at once (max_concurrent) and 4 more waiting", busy.Body, StringComparison.Ordinal);
        Assert.Contains("\"code\":\"upstream_busy\"", busy.Body, StringComparison.Ordinal);
        Assert.Equal(1, upstream.Count);

        release.SetResult();
        Assert.Equal(200, (await inFlight).Status);
        foreach (var response in await Task.WhenAll(waiting))
        {
            Assert.Equal(200, response.Status);
        }

        Assert.Equal(5, upstream.Count);
    }

    [Fact]
    public async Task Models_SeveralUpstreams_ListsMergedEachModelOnceWithThePseudoModels()
    {
        var a = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"object":"list","data":[{"id":"m1","object":"model","owned_by":"a"},{"id":"shared","object":"model","owned_by":"a"}]}""") };
        var b = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"object":"list","data":[{"id":"shared","object":"model","owned_by":"b"},{"id":"m2","object":"model","owned_by":"b"}]}""") };
        await using var aServer = new TestServer(a);
        await using var bServer = new TestServer(b);
        await using var host = Start($$"""
            upstreams:
              a: { base_url: {{aServer.BaseUrl}}v1 }
              b: { base_url: {{bServer.BaseUrl}}v1, api_key: sk-b }
            profiles:
              "m*": { temperature: 0.5 }
            """);

        var response = await SendAsync(host, "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal(200, response.Status);
        var data = ResponseBytes.Json(response).GetProperty("data").EnumerateArray().Select(m => (m.GetProperty("id").GetString(), m.GetProperty("owned_by").GetString()));
        Assert.Equal([("m1", "a"), ("shared", "a"), ("m2", "b")], data);
        var asked = await b.NextAsync();
        Assert.Equal(("/v1/models", "Bearer sk-b"), (asked.Target, asked.Header("Authorization")));
    }

    [Fact]
    public async Task Models_OneUpstreamDown_TheOthersListedWithThePseudoModels()
    {
        var alive = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", """{"object":"list","data":[{"id":"m1","object":"model"}]}""") };
        await using var aliveServer = new TestServer(alive);
        await using var host = Start($$"""
            upstreams:
              dead: { base_url: http://127.0.0.1:{{ProxyFixture.UnusedPort()}}/v1 }
              alive: { base_url: {{aliveServer.BaseUrl}}v1 }
            profiles:
              clean: { upstream: alive, upstream_model_name: m1 }
            """);

        var response = await SendAsync(host, "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal(200, response.Status);
        var ids = ResponseBytes.Json(response).GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString());
        Assert.Equal(["m1", "clean"], ids);
    }

    [Fact]
    public async Task Models_NoUpstreamAnswers_502NamingEach()
    {
        await using var host = Start($$"""
            upstreams:
              one: { base_url: http://127.0.0.1:{{ProxyFixture.UnusedPort()}}/v1 }
              two: { base_url: http://127.0.0.1:{{ProxyFixture.UnusedPort()}}/v1 }
            """);

        var response = await SendAsync(host, "GET /v1/models HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal(502, response.Status);
        Assert.Contains("No upstream gave its models list (/v1/models): `one` did not answer; `two` did not answer.", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_OneOfTwoUpstreamsDown_HealthyAndReadyWithAnEntryEach()
    {
        var deadPort = ProxyFixture.UnusedPort();
        await using var aliveServer = new TestServer(new RecordingHandler());
        await using var host = Start($$"""
            upstreams:
              dead: { base_url: http://user:secret@127.0.0.1:{{deadPort}}/v1 }
              alive: { base_url: {{aliveServer.BaseUrl}}v1 }
            """);

        var health = await SendAsync(host, "GET /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var ready = await SendAsync(host, "GET /health/ready HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal((200, 200), (health.Status, ready.Status));
        var json = ResponseBytes.Json(health);
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        Assert.Equal($"http://***@127.0.0.1:{deadPort}/v1/", json.GetProperty("target_url").GetString());
        var entries = json.GetProperty("upstreams").EnumerateArray().Select(u => (u.GetProperty("name").GetString(), u.GetProperty("url").GetString(), u.GetProperty("status").GetString())).ToList();
        Assert.Equal([("dead", $"http://***@127.0.0.1:{deadPort}/v1/", "unhealthy"), ("alive", $"{aliveServer.BaseUrl}v1/", "healthy")], entries);
        Assert.DoesNotContain("secret", health.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_AllUpstreamsDown_503NotReadyNamingEach()
    {
        await using var host = Start($$"""
            upstreams:
              one: { base_url: http://127.0.0.1:{{ProxyFixture.UnusedPort()}}/v1 }
              two: { base_url: http://127.0.0.1:{{ProxyFixture.UnusedPort()}}/v1 }
            """);

        var health = await SendAsync(host, "GET /health HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var ready = await SendAsync(host, "GET /health/ready HTTP/1.1\r\nHost: proxy.test\r\n\r\n");

        Assert.Equal((503, 503), (health.Status, ready.Status));
        Assert.Equal("unhealthy", ResponseBytes.Json(health).GetProperty("status").GetString());
        Assert.StartsWith("No upstream answers: `one`: Could not connect", ResponseBytes.Json(ready).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private ProxyHost Start(string yaml)
    {
        var file = _directory.Write("cot.yaml", yaml);
        var environment = new Dictionary<string, string> { ["COT_CONFIG"] = file, ["CONNECT_TIMEOUT"] = "5" };
        Assert.True(SettingsLoader.TryLoad([], environment, _directory.Path, out ProxySettings settings, out var error), error);
        return ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));
    }

    private static async Task<RawResponse> SendAsync(ProxyHost host, string request)
    {
        using var connection = await RawConnection.OpenAsync(host.LocalEndPoint);
        await connection.SendAsync(request);
        return await connection.ReadResponseAsync();
    }

    private static Task<RawResponse> PostChatAsync(ProxyHost host, string model)
    {
        var body = $$"""{"model":"{{model}}","messages":[]}""";
        return SendAsync(host, $"POST /v1/chat/completions HTTP/1.1\r\nHost: proxy.test\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}");
    }
}
