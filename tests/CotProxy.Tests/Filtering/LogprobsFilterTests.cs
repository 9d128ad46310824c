using System.Text;
using System.Text.Json.Nodes;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// Strip mode removes the logprobs of hidden tokens with them. Shapes from the OpenAI API reference: chat completions'
/// choices[i].logprobs.content (array of {token, logprob, bytes, top_logprobs}), legacy completions' choices[i].logprobs
/// (tokens, token_logprobs, top_logprobs, text_offset), and vLLM's logprobs beside reasoning_content deltas.
/// </summary>
public sealed class LogprobsFilterTests
{
    private const string EventStream = "text/event-stream";
    private const string Json = "application/json";

    [Fact]
    public void Rewrite_StreamEventsAroundTheEndTag_OnlyVisibleTokensKeepTheirLogprobs()
    {
        string input =
            Chunk("<think>", ["<think>"]) + Chunk("hm", ["h", "m"]) + Chunk("</think>\n\nHi", ["</think>", "\n\n", "Hi"])
            + Chunk(" there", [" there"]) + "data: [DONE]\n\n";
        string output = Run(EventStream, new ResponseRewriteOptions(), input);
        Assert.Equal(Chunk("Hi", ["Hi"]) + Chunk(" there", [" there"]) + "data: [DONE]\n\n", output);
    }

    [Fact]
    public void Rewrite_TokenOverlappingTheEndTag_ItsEntryGoes()
    {
        string input = Chunk("<think>x", ["<think>", "x"]) + Chunk("y</think>Hi", ["y</think>H", "i"]) + "data: [DONE]\n\n";
        string output = Run(EventStream, new ResponseRewriteOptions(), input);
        Assert.Equal(Chunk("Hi", ["i"]) + "data: [DONE]\n\n", output);
    }

    [Fact]
    public void Rewrite_TokensThatDoNotSpellTheContent_AllEntriesGoAndCounted()
    {
        string input = Chunk("<think>x", ["<think>", "x"]) + Chunk("</think>Hi", ["</think>", "Ho"]) + "data: [DONE]\n\n";
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions())!;
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        rewriter.Write(Encoding.UTF8.GetBytes(input), output);
        rewriter.Complete(output);
        Assert.Equal(Chunk("Hi", []) + "data: [DONE]\n\n", Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(1, rewriter.LogprobsDropped);
    }

    [Fact]
    public void Rewrite_LogprobsBeforeTheDelta_FilteredAndWrittenAfterIt()
    {
        const string Input =
            "data: {\"choices\":[{\"index\":0,\"logprobs\":{\"content\":[{\"token\":\"<think>a</think>\",\"logprob\":-1},{\"token\":\"B\",\"logprob\":-2}]},\"delta\":{\"content\":\"<think>a</think>B\"}}]}\n\n";
        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"B\"},\"logprobs\":{\"content\":[{\"token\":\"B\",\"logprob\":-2}]}}]}\n\n",
            Run(EventStream, new ResponseRewriteOptions(), Input));
    }

    [Fact]
    public void Rewrite_ChatBody_EntriesOfTheHiddenBlockGo()
    {
        string input = "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<think>abc</think>\\n\\nAnswer\"},"
            + Logprobs(["<think>", "abc", "</think>", "\n\n", "Ans", "wer"]) + ",\"finish_reason\":\"stop\"}]}";
        JsonNode output = JsonNode.Parse(Run(Json, new ResponseRewriteOptions(), input))!;
        Assert.Equal("Answer", output["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal(["Ans", "wer"], Tokens(output["choices"]![0]!["logprobs"]!["content"]!));
        Assert.Equal(Logprob("Ans"), output["choices"]![0]!["logprobs"]!["content"]![0]!["logprob"]!.GetValue<int>());
    }

    [Fact]
    public void Rewrite_LegacyCompletionsBody_ParallelArraysKeepTheSameEntries()
    {
        const string Input =
            "{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"<think>r</think>OK\",\"logprobs\":{\"tokens\":[\"<think>\",\"r\",\"</think>\",\"OK\"],"
            + "\"token_logprobs\":[-0.1,-0.2,-0.3,-0.4],\"top_logprobs\":[{\"<think>\":-0.1},{\"r\":-0.2},{\"</think>\":-0.3},{\"OK\":-0.4}],\"text_offset\":[0,7,8,16]},\"finish_reason\":\"stop\"}]}";
        Assert.Equal(
            "{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"OK\",\"logprobs\":{\"tokens\":[\"OK\"],"
            + "\"token_logprobs\":[-0.4],\"top_logprobs\":[{\"OK\":-0.4}],\"text_offset\":[16]},\"finish_reason\":\"stop\"}]}",
            Run(Json, new ResponseRewriteOptions(), Input));
    }

    [Fact]
    public void Rewrite_LegacyCompletionsStream_StraddlingEventKeepsVisibleTokens()
    {
        const string Input =
            "data: {\"choices\":[{\"index\":0,\"text\":\"<think>r\",\"logprobs\":{\"tokens\":[\"<think>\",\"r\"],\"token_logprobs\":[-1,-2],\"top_logprobs\":null,\"text_offset\":[0,7]}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"text\":\"</think>OK\",\"logprobs\":{\"tokens\":[\"</think>\",\"OK\"],\"token_logprobs\":[-3,-4],\"top_logprobs\":null,\"text_offset\":[8,16]}}]}\n\n";
        Assert.Equal(
            "data: {\"choices\":[{\"index\":0,\"text\":\"OK\",\"logprobs\":{\"tokens\":[\"OK\"],\"token_logprobs\":[-4],\"top_logprobs\":null,\"text_offset\":[16]}}]}\n\n",
            Run(EventStream, new ResponseRewriteOptions(), Input));
    }

    [Fact]
    public void Rewrite_VllmReasoningBesideContent_OnlyTheContentTokensStay()
    {
        // vLLM sends the logprobs of reasoning tokens beside reasoning_content; removed with it.
        string input =
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"r1\",\"content\":null}," + Logprobs(["r1"]) + ",\"finish_reason\":null}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"r2\",\"content\":\"A\"}," + Logprobs(["r2", "A"]) + ",\"finish_reason\":null}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"r3\"}," + Logprobs(["r3"]) + ",\"finish_reason\":\"stop\"}]}\n\n";
        List<string> events = RewriterHarness.SseData(Run(EventStream, new ResponseRewriteOptions(), input));
        Assert.Equal(2, events.Count);
        Assert.Equal(["A"], Tokens(JsonNode.Parse(events[0])!["choices"]![0]!["logprobs"]!["content"]!));
        Assert.Empty(Tokens(JsonNode.Parse(events[1])!["choices"]![0]!["logprobs"]!["content"]!));
        Assert.DoesNotContain("r3", events[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("split")]
    [InlineData("merge")]
    public void Rewrite_ModesThatHideNothing_LogprobsUntouched(string mode)
    {
        var options = new ResponseRewriteOptions { Mode = mode == "split" ? ThinkMode.Split : ThinkMode.Merge };
        string input = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>a</think>B\"}," + Logprobs(["<think>", "a", "</think>", "B"]) + "}]}";
        JsonNode output = JsonNode.Parse(Run(Json, options, input))!;
        Assert.Equal(["<think>", "a", "</think>", "B"], Tokens(output["choices"]![0]!["logprobs"]!["content"]!));
    }

    [Fact]
    public void Rewrite_EveryChunking_SameOutput()
    {
        string input =
            Chunk("\n<think>", ["\n", "<think>"]) + Chunk("h", ["h"]) + Chunk("m</thi", ["m", "</thi"]) + Chunk("nk>\n\nHi", ["nk>", "\n\n", "Hi"])
            + Chunk(" <b>", [" <b>"]) + "data: [DONE]\n\n";
        var options = new ResponseRewriteOptions();
        string whole = Run(EventStream, options, input);
        Assert.Equal(Chunk("Hi", ["Hi"]) + Chunk(" <b>", [" <b>"]) + "data: [DONE]\n\n", whole);
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        foreach (int size in new[] { 1, 3, 17 })
        {
            Assert.Equal(whole, Encoding.UTF8.GetString(RewriterHarness.Run(EventStream, options, bytes, size)));
        }
    }

    internal static string Chunk(string content, string[] tokens) =>
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":" + Quote(content) + "}," + Logprobs(tokens) + ",\"finish_reason\":null}]}\n\n";

    internal static string Logprobs(string[] tokens)
    {
        var builder = new StringBuilder("\"logprobs\":{\"content\":[");
        for (int i = 0; i < tokens.Length; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append("{\"token\":").Append(Quote(tokens[i])).Append(",\"logprob\":").Append(Logprob(tokens[i])).Append(",\"top_logprobs\":[]}");
        }

        return builder.Append("],\"refusal\":null}").ToString();
    }

    /// <summary>A logprob that tells entries apart by their token, so a test sees which entry stayed.</summary>
    internal static int Logprob(string token) => -token.Sum(c => c) % 1000;

    private static string Quote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    private static List<string> Tokens(JsonNode array) => [.. array.AsArray().Select(e => e!["token"]!.GetValue<string>())];

    private static string Run(string contentType, ResponseRewriteOptions options, string input) =>
        Encoding.UTF8.GetString(RewriterHarness.Run(contentType, options, Encoding.UTF8.GetBytes(input), 0));
}
