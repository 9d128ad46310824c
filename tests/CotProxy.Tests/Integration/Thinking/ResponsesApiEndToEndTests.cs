using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CotProxy.Tests.Filtering.Responses;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Thinking;

/// <summary>
/// /v1/responses through the real proxy over loopback sockets: the recorded Responses streams replayed in uneven
/// flushed writes reach the client filtered by the model's profile, as the filter alone writes them.
/// </summary>
public sealed class ResponsesApiEndToEndTests
{
    private const string Request = """{"model":"q","stream":true,"input":"What is 2+2?"}""";

    [Theory]
    [InlineData("openai__o3-mini_responses_api_stream_reasoning_summary_and_output_text.txt", "model=q,think_mode=strip", "Providing street crossing")]
    [InlineData("openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt", "model=q,think_mode=strip", "They expect a straightforward answer")]
    public async Task Proxy_ResponsesStreamStrip_ClientSeesNoReasoningAndContiguousIndices(string name, string profile, string thought)
    {
        byte[] input = Fixtures.ReadBytes(name);

        byte[] output = await ReplayAsync(input, profile);

        string text = Encoding.UTF8.GetString(output);
        Assert.DoesNotContain(thought, text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"type\":\"reasoning", text, StringComparison.Ordinal);
        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        ResponsesHarness.AssertContiguous(events);
        Assert.Equal(Encoding.UTF8.GetString(ResponsesHarness.Run(ResponseFraming.EventStream, new ResponseRewriteOptions(), input)), text);
    }

    [Fact]
    public async Task Proxy_ResponsesStreamMerge_ReasoningInlineInTheFirstDelta()
    {
        byte[] input = Fixtures.ReadBytes("openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt");

        byte[] output = await ReplayAsync(input, "model=q,think_mode=merge");

        SortedDictionary<int, string> answer = ResponsesHarness.DeltaText(ResponsesHarness.Documents(output, ResponseFraming.EventStream));
        Assert.StartsWith("<think>The user asks", answer[0], StringComparison.Ordinal);
        Assert.EndsWith("</think>4", answer[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_ChatCompletionsPath_StillTheChoicesFilter()
    {
        // The same recorded Responses stream on the chat path: the choices filter finds no choices and lets it pass.
        byte[] input = Fixtures.ReadBytes("openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt");
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.ForFixture(input)), "model=q,think_mode=strip");

        var response = await pair.PostAsync(Request);

        Assert.Contains("They expect a straightforward answer", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Proxy_ResponsesBodySplit_TaggedThoughtBecomesAReasoningItemBeforeTheMessage()
    {
        byte[] body = Encoding.UTF8.GetBytes(new ResponsesStreamBuilder().Message(["<think>Add them.</think>\n\n4"]).Body());
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/json", Pieces.ForFixture(body), contentLength: true), "model=q,think_mode=split");

        var response = await pair.PostAsync("""{"model":"q","input":"What is 2+2?"}""", "/v1/responses");

        Assert.Equal(200, response.Status);
        Assert.Equal(response.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
        using JsonDocument document = JsonDocument.Parse(response.Body);
        JsonElement[] output = [.. document.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal("Add them.", output[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("4", output[1].GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Proxy_ResponsesStreamSplit_TaggedThoughtStreamsAsAReasoningItemBeforeTheMessage()
    {
        byte[] input = new ResponsesStreamBuilder().Created().Message(["<think>Add", " them.</think>", "\n\n4"]).Completed().Frame(ResponseFraming.EventStream);

        byte[] output = await ReplayAsync(input, "model=q,think_mode=split");

        List<JsonElement> events = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        Assert.Equal("Add them.", events.Single(e => ResponsesHarness.Type(e) == "response.reasoning_text.done").GetProperty("text").GetString());
        Assert.Equal(["rs_msg_0", "msg_0"], events.Where(e => ResponsesHarness.Type(e) == "response.output_item.added").Select(e => e.GetProperty("item").GetProperty("id").GetString()));
        Assert.Equal("4", ResponsesHarness.DeltaText(events)[1]);
        ResponsesHarness.AssertContiguous(events);
        Assert.Equal(Encoding.UTF8.GetString(ResponsesHarness.Run(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input)), Encoding.UTF8.GetString(output));
    }

    private static async Task<byte[]> ReplayAsync(byte[] body, string profile)
    {
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.ForFixture(body)), profile);
        var response = await pair.PostAsync(Request, "/v1/responses");
        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        return Encoding.Latin1.GetBytes(response.Body);
    }
}
