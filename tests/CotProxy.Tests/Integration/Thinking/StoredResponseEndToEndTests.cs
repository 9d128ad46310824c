using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CotProxy.Tests.Filtering.Responses;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// GET /v1/responses/{id} (OpenAI's "Retrieve a model response", whole or replayed with ?stream=true) through the real
/// proxy over loopback sockets: filtered with the options of the model the stored response names, failing closed when
/// it names none; the other paths under /responses/{id} pass untouched.
/// </summary>
public sealed class StoredResponseEndToEndTests
{
    private const string Fixture = "openai__o3-mini_responses_api_stream_reasoning_summary_and_output_text.txt";
    private const string FixtureThought = "Providing street crossing";
    private const string Thought = "Add them quietly.";

    [Fact]
    public async Task Get_StoredStreamReplayOfAStrippedModel_ClientSeesNoReasoning()
    {
        byte[] input = Fixtures.ReadBytes(Fixture);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.ForFixture(input)), "model=o3-mini-2025-01-31,think_mode=strip;model=other,think_mode=keep", enableFiltering: false);

        var response = await GetAsync(pair, "/v1/responses/resp_68c42d0fb418819dbfa579f69406b49508fbf9b1584184ff?stream=true");

        Assert.Equal(200, response.Status);
        Assert.Contains(FixtureThought, Encoding.UTF8.GetString(input), StringComparison.Ordinal);
        Assert.DoesNotContain(FixtureThought, response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"type\":\"reasoning", response.Body, StringComparison.Ordinal);
        Assert.Equal(ResponsesHarness.Run(ResponseFraming.EventStream, new ResponseRewriteOptions(), input), Encoding.Latin1.GetBytes(response.Body));
    }

    [Fact]
    public async Task Get_StoredBodyOfAStrippedModel_ReasoningItemRemoved()
    {
        await using var pair = StartWithBody(StoredBody(), "model=m,think_mode=strip;model=other,think_mode=keep");

        var response = await GetAsync(pair, "/v1/responses/resp_1");

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain(Thought, response.Body, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(response.Body);
        Assert.Equal(["message"], document.RootElement.GetProperty("output").EnumerateArray().Select(item => item.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Get_StoredBodyOfAKeptModel_Untouched()
    {
        string body = StoredBody();
        await using var pair = StartWithBody(body, "model=m,think_mode=keep;model=other,think_mode=strip");

        var response = await GetAsync(pair, "/v1/responses/resp_1");

        Assert.Equal(body, response.Body);
    }

    [Fact]
    public async Task Get_StoredBodyNamingNoModel_StrictestFilterApplies()
    {
        string body = StoredBody().Replace("\"model\":\"m\",", "", StringComparison.Ordinal);
        Assert.DoesNotContain("\"model\"", body, StringComparison.Ordinal);
        await using var pair = StartWithBody(body, "model=m,think_mode=keep;model=other,think_mode=strip");

        var response = await GetAsync(pair, "/v1/responses/resp_1");

        Assert.Equal(200, response.Status);
        Assert.DoesNotContain(Thought, response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_StoredStreamWhoseFirstEventNamesNoModel_StrictestFilterApplies()
    {
        string stream = Encoding.UTF8.GetString(Fixtures.ReadBytes(Fixture)).Replace("\"model\":\"o3-mini-2025-01-31\",", "", StringComparison.Ordinal);
        byte[] input = Encoding.UTF8.GetBytes(stream);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.ForFixture(input)), "model=m,think_mode=keep;model=other,think_mode=strip", enableFiltering: false);

        var response = await GetAsync(pair, "/v1/responses/resp_1?stream=true");

        Assert.DoesNotContain(FixtureThought, response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_StoredBodyOfAPseudoModel_FilteredAndItsNamePutBack()
    {
        await using var pair = StartWithBody(StoredBody(), "model=clean,upstream_model_name=m,think_mode=strip", enableFiltering: false);

        var response = await GetAsync(pair, "/v1/responses/resp_1");

        Assert.DoesNotContain(Thought, response.Body, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(response.Body);
        Assert.Equal("clean", document.RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("/v1/responses/resp_1/input_items")]
    [InlineData("/v1/responses/resp_1/cancel")]
    [InlineData("/v1/responses")]
    public async Task Get_OtherResponsesPaths_Untouched(string path)
    {
        string body = StoredBody();
        await using var pair = StartWithBody(body, "model=m,think_mode=strip");

        var response = await GetAsync(pair, path);

        Assert.Equal(body, response.Body);
    }

    [Fact]
    public async Task Get_StoredBodyWithNoFilteringConfigured_Untouched()
    {
        string body = StoredBody();
        await using var pair = StartWithBody(body, "model=m,temperature=0.5", enableFiltering: false);

        var response = await GetAsync(pair, "/v1/responses/resp_1");

        Assert.Equal(body, response.Body);
    }

    private static string StoredBody() => new ResponsesStreamBuilder().Reasoning([Thought]).Message(["4"]).Body();

    private static ProxyPair StartWithBody(string body, string profiles, bool enableFiltering = true) =>
        ProxyPair.Start(new PiecewiseUpstream("application/json", Pieces.ForFixture(Encoding.UTF8.GetBytes(body)), contentLength: true), profiles, enableFiltering);

    private static async Task<RawResponse> GetAsync(ProxyPair pair, string target)
    {
        using var client = await RawConnection.OpenAsync(pair.Proxy.LocalEndPoint);
        await client.SendAsync($"GET {target} HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n");
        return await client.ReadResponseAsync(timeoutMs: 15_000);
    }
}
