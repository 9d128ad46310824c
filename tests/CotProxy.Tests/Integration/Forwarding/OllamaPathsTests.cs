using System.Text.RegularExpressions;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// Ollama serves its OpenAI-compatible API under <c>/v1/*</c> and its native API under <c>/api/*</c> on one port: a
/// base URL naming either half serves both (README, "Ollama's two APIs"). A real upstream records the paths it gets.
/// </summary>
public sealed partial class OllamaPathsTests
{
    private static readonly string[] s_documents = ["README.md", "docs/deployment.md", ".env.example"];

    [Theory]
    [InlineData("/v1", "/api/chat", "/api/chat")]
    [InlineData("/v1/", "/api/chat", "/api/chat")]
    [InlineData("/v1", "/api/generate", "/api/generate")]
    [InlineData("/v1", "/api/tags", "/api/tags")]
    [InlineData("/v1", "/api?x=1", "/api?x=1")]
    [InlineData("/v1", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("/v1", "/chat/completions", "/v1/chat/completions")]
    [InlineData("", "/api/chat", "/api/chat")]
    [InlineData("/", "/api/chat", "/api/chat")]
    [InlineData("", "/v1/chat/completions", "/v1/chat/completions")]
    [InlineData("/ollama/v1", "/api/chat", "/ollama/api/chat")]
    [InlineData("/ollama/v1", "/v1/models", "/ollama/v1/models")]
    [InlineData("/v1", "/apis/x", "/v1/apis/x")]
    [InlineData("/openai", "/api/chat", "/openai/api/chat")]
    public async Task BaseUrl_NativeAndOpenAiPaths_EachReachItsOwnHalf(string basePath, string clientPath, string upstreamPath)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{server.EndPoint.Port}{basePath}"));

        var response = await proxy.PostJsonAsync(clientPath, """{"model":"qwen3:14b"}""");

        Assert.Equal(200, response.Status);
        Assert.Equal(upstreamPath, (await upstream.NextAsync()).Target);
    }

    [Fact]
    public async Task EveryOllamaBaseUrlInTheDocs_ServesBothApis()
    {
        List<string> urls = [.. s_documents
            .SelectMany(name => OllamaUrl().Matches(File.ReadAllText(RepositoryFile.PathOf(name))))
            .Select(match => match.Value)
            .Distinct()];
        Assert.NotEmpty(urls);

        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        foreach (var url in urls)
        {
            // The documented URL with its host and port replaced by the recording upstream's.
            var path = new Uri(url).AbsolutePath;
            await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{server.EndPoint.Port}{path}"));

            Assert.Equal(200, (await proxy.PostJsonAsync("/api/chat", """{"model":"qwen3:14b"}""")).Status);
            Assert.Equal((url, "/api/chat"), (url, (await upstream.NextAsync()).Target));
            Assert.Equal(200, (await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"qwen3:14b"}""")).Status);
            Assert.Equal((url, "/v1/chat/completions"), (url, (await upstream.NextAsync()).Target));
        }
    }

    // A base URL as the docs give it (TARGET_BASE_URL=…, --target …, the README's table): the port, then /v1 or nothing.
    [GeneratedRegex(@"https?://[A-Za-z0-9.\-]+:11434(/v1)?/?(?=[\s`'""<>)]|$)", RegexOptions.Multiline)]
    private static partial Regex OllamaUrl();
}
