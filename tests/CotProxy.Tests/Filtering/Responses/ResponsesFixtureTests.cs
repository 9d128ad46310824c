using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>The Responses API filter over streams recorded from real servers (Fixtures/INDEX.md rows 22, 23, 30).</summary>
public sealed class ResponsesFixtureTests
{
    private const string OpenAi = "openai__o3-mini_responses_api_stream_reasoning_summary_and_output_text.txt";
    private const string OpenRouter = "openrouter__gpt-oss-20b_responses_api_stream_reasoning_text_data_only.txt";
    private const string LmStudio = "lmstudio__gemma-7b-it_responses_api_stream_events_jsonl.txt";

    [Theory]
    [InlineData(OpenAi, "Providing street crossing")]
    [InlineData(OpenRouter, "They expect a straightforward answer")]
    public void Strip_RecordedStream_ReasoningItemGoneIndicesContiguousAnswerKept(string name, string thought)
    {
        byte[] input = Fixtures.ReadBytes(name);
        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions(), input);
        string text = Encoding.UTF8.GetString(output);
        List<JsonElement> inEvents = ResponsesHarness.Documents(input, ResponseFraming.EventStream);
        List<JsonElement> outEvents = ResponsesHarness.Documents(output, ResponseFraming.EventStream);

        Assert.DoesNotContain(thought, text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"type\":\"reasoning", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"type\":\"response.reasoning", text, StringComparison.Ordinal);
        Assert.DoesNotContain("event: response.reasoning", text, StringComparison.Ordinal);
        ResponsesHarness.AssertContiguous(outEvents);
        // The answer was item 1 upstream; the client sees it as item 0, with every delta.
        Assert.Equal(ResponsesHarness.DeltaText(inEvents)[1], ResponsesHarness.DeltaText(outEvents)[0]);
        JsonElement completed = outEvents.Single(e => ResponsesHarness.Type(e) == "response.completed").GetProperty("response");
        Assert.Equal("message", completed.GetProperty("output").EnumerateArray().Single().GetProperty("type").GetString());
        Assert.Equal(text.Contains("data: [DONE]", StringComparison.Ordinal), Encoding.UTF8.GetString(input).Contains("data: [DONE]", StringComparison.Ordinal));
        Golden.Verify(Describe(outEvents, output), "Responses.Strip." + Path.GetFileNameWithoutExtension(name));
    }

    [Fact]
    public void Strip_LmStudioStreamWithoutReasoning_EveryEventPassesAsItsOwnBytes()
    {
        byte[] input = Fixtures.ReadBytes(LmStudio);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.Ndjson, new ResponseRewriteOptions(), input);

        Assert.Equal(input, output);
    }

    [Fact]
    public void Merge_OpenRouterStream_ReasoningInlineAtTheAnswersStart()
    {
        byte[] input = Fixtures.ReadBytes(OpenRouter);
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Merge };

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, options, input);

        List<JsonElement> outEvents = ResponsesHarness.Documents(output, ResponseFraming.EventStream);
        const string Merged = "<think>The user asks: \"What is 2+2?\" They expect a straightforward answer: 4. Just answer 4.</think>4";
        Assert.Equal(Merged, ResponsesHarness.DeltaText(outEvents)[0]);
        Assert.Equal(Merged, outEvents.Single(e => ResponsesHarness.Type(e) == "response.output_text.done").GetProperty("text").GetString());
        JsonElement completed = outEvents.Single(e => ResponsesHarness.Type(e) == "response.completed").GetProperty("response");
        JsonElement message = completed.GetProperty("output").EnumerateArray().Single();
        Assert.Equal(Merged, message.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.DoesNotContain("\"type\":\"reasoning", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
        ResponsesHarness.AssertContiguous(outEvents);
        Golden.Verify(Describe(outEvents, output), "Responses.Merge." + Path.GetFileNameWithoutExtension(OpenRouter));
    }

    [Theory]
    [InlineData(OpenAi)]
    [InlineData(OpenRouter)]
    public void Split_RecordedStream_ServerReasoningItemsStayAsTheyCame(string name)
    {
        byte[] input = Fixtures.ReadBytes(name);

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input);

        // The message's first events were held to see whether a thought opens its text, and went out named by their
        // type: a stream that names its events comes out as it came, one that does not has the same documents.
        string expected = Encoding.UTF8.GetString(input);
        Assert.Equal(RewriterHarness.SseData(expected), RewriterHarness.SseData(Encoding.UTF8.GetString(output)));
        if (expected.StartsWith("event:", StringComparison.Ordinal))
        {
            Assert.Equal(expected, Encoding.UTF8.GetString(output));
        }
    }

    [Fact]
    public void Keep_PseudoModel_OnlyTheResponseObjectsModelIsRenamed()
    {
        byte[] input = Fixtures.ReadBytes(OpenRouter);
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Keep, ClientModelName = "my-alias" };

        byte[] output = ResponsesHarness.RunAllChunkings(ResponseFraming.EventStream, options, input);

        string expected = Encoding.UTF8.GetString(input).Replace("\"model\":\"openai/gpt-oss-20b\"", "\"model\":\"my-alias\"", StringComparison.Ordinal);
        Assert.Equal(expected, Encoding.UTF8.GetString(output));
    }

    private static string Describe(List<JsonElement> events, byte[] output)
    {
        var builder = new StringBuilder();
        foreach ((int index, string text) in ResponsesHarness.DeltaText(events))
        {
            builder.Append("=== answer of output_index ").Append(index).Append(" ===\n").Append(text).Append('\n');
        }

        builder.Append("=== events: ").Append(events.Count).Append(" ===\n");
        if (output.Length <= 48 * 1024)
        {
            builder.Append(Encoding.UTF8.GetString(output));
        }

        return builder.ToString();
    }
}
