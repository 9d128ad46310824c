using CotProxy.Api;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// Server-kind detection (README, "The thinking switch") against loopback listeners that answer as each server does:
/// the probes go out once, on the first request that needs them, and the chat request then carries that server's spelling.
/// The imitated answers are built from the servers' own code: vLLM's and SGLang's ModelCard (<c>owned_by</c> "vllm",
/// "sglang"), llama.cpp's <c>Server: llama.cpp</c> default header and <c>/props</c>, Ollama's <c>/api/version</c>.
/// </summary>
public sealed class ServerKindDetectionTests
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
    private const string ChatHead = """{"model":"m","messages":[{"role":"user","content":"hi"}]""";

    private static string Models(string ownedBy) =>
        $$"""{"object":"list","data":[{"id":"m","object":"model","created":1733000000,"owned_by":"{{ownedBy}}","root":"m","parent":null,"max_model_len":32768}]}""";

    public static TheoryData<string, string> Servers => new()
    {
        { "vllm", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "sglang", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "llamacpp-header", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "llamacpp-props", ChatHead + ""","chat_template_kwargs":{"enable_thinking":false}}""" },
        { "ollama", ChatHead + ""","reasoning_effort":"none"}""" },
        { "openai", ChatHead + ""","reasoning_effort":"none"}""" },
    };

    /// <summary>An upstream that answers the probes as <paramref name="server"/> would and 200 to everything else.</summary>
    private static RecordingHandler Imitating(string server) => new()
    {
        Respond = (context, request) =>
        {
            var llamaHeader = server == "llamacpp-header" ? new[] { ("Server", "llama.cpp") } : [];
            return (server, request.Target) switch
            {
                ("vllm", "/v1/models") => RecordingHandler.WriteAsync(context, 200, "application/json", Models("vllm"), ("Server", "uvicorn")),
                ("sglang", "/v1/models") => RecordingHandler.WriteAsync(context, 200, "application/json", Models("sglang"), ("Server", "uvicorn")),
                ("llamacpp-header", _) when request.Method == "GET" => RecordingHandler.WriteAsync(context, 404, "application/json", """{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}""", llamaHeader),
                ("llamacpp-props", "/v1/models") => RecordingHandler.WriteAsync(context, 200, "application/json", Models("local")),
                ("llamacpp-props", "/props") => RecordingHandler.WriteAsync(context, 200, "application/json", """{"default_generation_settings":{"n_ctx":4096},"total_slots":1,"model_path":"m.gguf","chat_template":"","build_info":"b6224-abc"}"""),
                ("ollama", "/v1/models") => RecordingHandler.WriteAsync(context, 200, "application/json", Models("library")),
                ("ollama", "/api/version") => RecordingHandler.WriteAsync(context, 200, "application/json; charset=utf-8", """{"version":"0.12.6"}"""),
                ("openai", "/v1/models") => RecordingHandler.WriteAsync(context, 200, "application/json", Models("openai")),
                (_, _) when request.Method == "GET" => RecordingHandler.WriteAsync(context, 404, "text/plain", "404 page not found"),
                _ => RecordingHandler.WriteAsync(context, 200, "application/json", """{"ok":true}""", llamaHeader),
            };
        },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task FirstSwitchedRequest_DetectsTheServer_AndSendsItsSpelling(string server, string expected)
    {
        var upstream = Imitating(server);
        await using var listener = new TestServer(upstream);
        await using var proxy = ThinkingSwitchTests.StartWithServerKind(new Uri(listener.BaseUrl, "v1"), serverKind: null);

        var response = await ThinkingSwitchTests.PostAsync(proxy, Chat, "X-Thinking: off\r\n");

        Assert.Equal(200, response.Status);
        RecordedRequest chat;
        while ((chat = await upstream.NextAsync()).Method != "POST")
        {
            Assert.Equal("GET", chat.Method);
        }

        Assert.Equal(expected, chat.BodyText);
    }

    [Fact]
    public async Task Detection_AskedOnce_SecondRequestProbesNothing()
    {
        var upstream = Imitating("vllm");
        await using var listener = new TestServer(upstream);
        await using var proxy = ThinkingSwitchTests.StartWithServerKind(listener.BaseUrl, serverKind: null);

        await ThinkingSwitchTests.PostAsync(proxy, Chat, "X-Thinking: off\r\n");
        int afterFirst = upstream.Count;
        await ThinkingSwitchTests.PostAsync(proxy, Chat, "X-Thinking: on\r\n");

        Assert.Equal(2, afterFirst);
        Assert.Equal(3, upstream.Count);
        var targets = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            targets.Add((await upstream.NextAsync()).Target);
        }

        Assert.Equal(["/v1/models", "/v1/chat/completions", "/v1/chat/completions"], targets);
    }

    [Fact]
    public async Task NoSwitch_NeverProbes()
    {
        var upstream = Imitating("vllm");
        await using var listener = new TestServer(upstream);
        await using var proxy = ThinkingSwitchTests.StartWithServerKind(listener.BaseUrl, serverKind: null);

        await ThinkingSwitchTests.PostAsync(proxy, Chat);

        Assert.Equal(1, upstream.Count);
        Assert.Equal(Chat, (await upstream.NextAsync()).BodyText);
    }

    [Theory]
    [InlineData("http://h:8080/v1/", "http://h:8080/")]
    [InlineData("http://h:8080/v1", "http://h:8080/")]
    [InlineData("http://h:8080/", "http://h:8080/")]
    [InlineData("http://gw/llama/v1/", "http://gw/llama/")]
    [InlineData("https://api.openai.com/v1/", "https://api.openai.com/")]
    public void ServerRoot_BaseWithOrWithoutV1_ProbesHangOffTheRoot(string baseUrl, string root) =>
        Assert.Equal(root, ServerKindDetector.ServerRoot(new Uri(baseUrl)).AbsoluteUri);
}
