using System.Net;
using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// The thinking switch through the real proxy (README, "The thinking switch"): the exact body a loopback upstream records
/// for every value and server kind, from the profile and from the X-Thinking header, and which of them wins.
/// </summary>
public sealed class ThinkingSwitchTests
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
    private const string ChatHead = """{"model":"m","messages":[{"role":"user","content":"hi"}]""";

    public static TheoryData<string, string, string> ChatBodies => new()
    {
        { "vllm", "off", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "vllm", "on", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true}}""" },
        { "vllm", "low", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true},"reasoning_effort":"low"}""" },
        { "vllm", "medium", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true},"reasoning_effort":"medium"}""" },
        { "vllm", "high", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true},"reasoning_effort":"high"}""" },
        { "sglang", "off", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "sglang", "on", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true}}""" },
        { "sglang", "low", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true},"reasoning_effort":"low"}""" },
        { "sglang", "medium", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true},"reasoning_effort":"medium"}""" },
        { "sglang", "high", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true},"reasoning_effort":"high"}""" },
        { "llamacpp", "off", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "llamacpp", "on", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true}}""" },
        { "llamacpp", "low", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true,"reasoning_effort":"low"}}""" },
        { "llamacpp", "medium", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true,"reasoning_effort":"medium"}}""" },
        { "llamacpp", "high", ChatHead + ""","chat_template_kwargs":{"enable_thinking":true,"reasoning_effort":"high"}}""" },
        { "ollama", "off", ChatHead + ""","reasoning_effort":"none"}""" },
        { "ollama", "on", ChatHead + ""","reasoning_effort":"medium"}""" },
        { "ollama", "low", ChatHead + ""","reasoning_effort":"low"}""" },
        { "ollama", "medium", ChatHead + ""","reasoning_effort":"medium"}""" },
        { "ollama", "high", ChatHead + ""","reasoning_effort":"high"}""" },
        { "openai", "off", ChatHead + ""","reasoning_effort":"none"}""" },
        { "openai", "on", ChatHead + ""","reasoning_effort":"medium"}""" },
        { "openai", "low", ChatHead + ""","reasoning_effort":"low"}""" },
        { "openai", "medium", ChatHead + ""","reasoning_effort":"medium"}""" },
        { "openai", "high", ChatHead + ""","reasoning_effort":"high"}""" },
    };

    public static TheoryData<string, string> OllamaNativeBodies => new()
    {
        { "off", ChatHead + ""","think":false}""" },
        { "on", ChatHead + ""","think":true}""" },
        { "low", ChatHead + ""","think":"low"}""" },
        { "medium", ChatHead + ""","think":"medium"}""" },
        { "high", ChatHead + ""","think":"high"}""" },
    };

    [Theory]
    [MemberData(nameof(ChatBodies))]
    public async Task ProfileSwitch_EachServerKind_UpstreamReceivesItsOwnSpelling(string kind, string value, string expected)
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, $"model=m,thinking={value},server_kind={kind}", enableFiltering: false);

        var response = await pair.PostAsync(Chat);

        Assert.Equal(200, response.Status);
        Assert.Equal(expected, (await upstream.NextAsync()).BodyText);
    }

    [Theory]
    [MemberData(nameof(ChatBodies))]
    public async Task HeaderSwitch_EachServerKind_UpstreamReceivesItsOwnSpellingAndNoHeader(string kind, string value, string expected)
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, $"model=m,server_kind={kind}", enableFiltering: false);

        var response = await pair.PostAsync(Chat, extraHeaders: $"X-Thinking: {value.ToUpperInvariant()}\r\n");

        Assert.Equal(200, response.Status);
        var received = await upstream.NextAsync();
        Assert.Equal(expected, received.BodyText);
        Assert.False(received.HasHeader("X-Thinking"));
    }

    [Theory]
    [MemberData(nameof(OllamaNativeBodies))]
    public async Task OllamaNativeChat_AnyServerKind_SendsThink(string value, string expected)
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,server_kind=vllm", enableFiltering: false);

        var response = await pair.PostAsync(Chat, "/api/chat", $"X-Thinking: {value}\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal(expected, (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task OllamaNativeGenerate_ProfileSwitch_SendsThink()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,thinking=off", enableFiltering: false);

        await pair.PostAsync("""{"model":"m","prompt":"hi"}""", "/api/generate");

        Assert.Equal("""{"model":"m","prompt":"hi","think":false}""", (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task Header_OverridesBodysOwnFields_AndClearsTheSwitchsOtherField()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,server_kind=vllm,thinking=high", enableFiltering: false);

        await pair.PostAsync("""{"model":"m","chat_template_kwargs":{"enable_thinking":true,"x":1},"reasoning_effort":"high","messages":[]}""", extraHeaders: "X-Thinking: off\r\n");

        Assert.Equal("""{"model":"m","chat_template_kwargs":{"enable_thinking":false,"x":1},"messages":[]}""", (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task BodysOwnField_WinsOverProfile_BodySentByteForByte()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,server_kind=openai,thinking=off", enableFiltering: false);
        const string body = """{ "model":"m", "reasoning_effort":"high", "messages":[] }""";

        await pair.PostAsync(body);

        Assert.Equal(body, (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task ProfileSwitch_MergesIntoTheClientsTemplateKwargs()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,server_kind=llamacpp,thinking=low", enableFiltering: false);

        await pair.PostAsync("""{"model":"m","chat_template_kwargs":{"custom":"x"},"messages":[]}""");

        Assert.Equal("""{"model":"m","chat_template_kwargs":{"custom":"x","enable_thinking":true,"reasoning_effort":"low"},"messages":[]}""", (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task Header_ModelWithoutProfile_StillTranslated()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = StartWithServerKind(server.BaseUrl, "sglang");

        var response = await PostAsync(proxy, Chat, "X-Thinking: off\r\n");

        Assert.Equal(200, response.Status);
        Assert.Equal(ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""", (await upstream.NextAsync()).BodyText);
    }

    [Fact]
    public async Task Header_LegacyCompletions_BodyUntouchedAndHeaderNotForwarded()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,server_kind=vllm", enableFiltering: false);
        const string body = """{"model":"m","prompt":"hi"}""";

        await pair.PostAsync(body, "/v1/completions", "X-Thinking: off\r\n");

        var received = await upstream.NextAsync();
        Assert.Equal(body, received.BodyText);
        Assert.False(received.HasHeader("X-Thinking"));
    }

    [Fact]
    public async Task Header_OnAGetWithoutBody_ConsumedNotForwarded()
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "", enableFiltering: false);

        using var client = await RawConnection.OpenAsync(pair.Proxy.LocalEndPoint);
        await client.SendAsync(System.Text.Encoding.ASCII.GetBytes("GET /v1/files HTTP/1.1\r\nHost: proxy\r\nX-Thinking: low\r\nConnection: close\r\n\r\n"));
        var response = await client.ReadResponseAsync(timeoutMs: 15_000);

        Assert.Equal(200, response.Status);
        Assert.False((await upstream.NextAsync()).HasHeader("X-Thinking"));
    }

    [Theory]
    [InlineData("X-Thinking: maybe\r\n")]
    [InlineData("X-Thinking: \r\n")]
    [InlineData("X-Thinking: off\r\nx-thinking: high\r\n")]
    public async Task InvalidHeader_400NamingTheHeaderAndValues_NothingSentUpstream(string header)
    {
        var upstream = new RecordingHandler();
        await using var pair = ProxyPair.Start(upstream, "model=m,server_kind=vllm", enableFiltering: false);

        var response = await pair.PostAsync(Chat, extraHeaders: header);

        Assert.Equal(400, response.Status);
        Assert.Contains("\"code\":\"invalid_thinking_header\"", response.Body, StringComparison.Ordinal);
        Assert.Contains("X-Thinking", response.Body, StringComparison.Ordinal);
        Assert.Contains("off, on, low, medium or high", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("maybe", response.Body, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Fact]
    public async Task ServerKindSetting_UsedWithoutAskingTheUpstream()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = StartWithServerKind(server.BaseUrl, "llamacpp");

        await PostAsync(proxy, Chat, "X-Thinking: high\r\n");

        var received = await upstream.NextAsync();
        Assert.Equal("POST", received.Method);
        Assert.Equal(ChatHead + ""","chat_template_kwargs":{"enable_thinking":true,"reasoning_effort":"high"}}""", received.BodyText);
        Assert.Equal(1, upstream.Count);
    }

    internal static ProxyHost StartWithServerKind(Uri target, string? serverKind)
    {
        var settings = new ProxySettings
        {
            TargetBaseUrl = target,
            ApiRequestTimeout = TimeSpan.FromSeconds(15),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            ServerKind = serverKind,
        };
        return ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));
    }

    internal static async Task<RawResponse> PostAsync(ProxyHost proxy, string json, string extraHeaders = "", string path = "/v1/chat/completions")
    {
        using var client = await RawConnection.OpenAsync(proxy.LocalEndPoint);
        var body = System.Text.Encoding.UTF8.GetBytes(json);
        var head = $"POST {path} HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n{extraHeaders}Connection: close\r\n\r\n";
        await client.SendAsync([.. System.Text.Encoding.ASCII.GetBytes(head), .. body]);
        return await client.ReadResponseAsync(timeoutMs: 15_000);
    }
}
