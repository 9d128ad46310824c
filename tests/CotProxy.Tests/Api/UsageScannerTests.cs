using System.Text;
using CotProxy.Api;
using CotProxy.Logging;

namespace CotProxy.Tests.Api;

/// <summary>The usage numbers of a response, found in its raw bytes however they are split into reads.</summary>
public sealed class UsageScannerTests
{
    [Theory]
    [InlineData("""{"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}""", 11, 7)]
    [InlineData("""{"usage": {"prompt_tokens" : 11 ,"completion_tokens_details":{"reasoning_tokens":3},"completion_tokens":	7}}""", 11, 7)]
    [InlineData("""{"usage":{"input_tokens":4,"output_tokens":5}}""", 4, 5)]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\ndata: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n", 1, 2)]
    [InlineData("""{"content":"say \"prompt_tokens\":5 please"}""", -1, -1)]
    [InlineData("""{"max_tokens":64}""", -1, -1)]
    [InlineData("""{"usage":{"prompt_tokens":99999999999999999999,"completion_tokens":9223372036854775807}}""", -1, long.MaxValue)]
    [InlineData("""{"usage":{"prompt_tokens":9223372036854775808,"completion_tokens":007}}""", -1, 7)]
    [InlineData("""{"usage":{"prompt_tokens":-3,"completion_tokens":}}""", -1, -1)]
    public void Scan_AnySplit_SameNumbers(string body, long prompt, long completion)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var stats = Fresh();
            UsageScanner.Append(stats, bytes.AsSpan(0, cut));
            UsageScanner.Append(stats, bytes.AsSpan(cut));
            UsageScanner.Finish(stats);
            Assert.True((prompt, completion) == (stats.PromptTokens, stats.CompletionTokens), $"split at {cut}: {stats.PromptTokens}, {stats.CompletionTokens}");
        }

        var bytewise = Fresh();
        foreach (var b in bytes)
        {
            UsageScanner.Append(bytewise, [b]);
        }

        UsageScanner.Finish(bytewise);
        Assert.Equal((prompt, completion), (bytewise.PromptTokens, bytewise.CompletionTokens));
    }

    [Fact]
    public void Scan_OllamaNative_EvalCountsOnItsRoutesOnly()
    {
        var body = Encoding.UTF8.GetBytes("""{"done":true,"prompt_eval_count":26,"eval_count":290}""");
        foreach (var (route, expected) in new[] { (MetricsRoute.OllamaChat, (26L, 290L)), (MetricsRoute.OllamaGenerate, (26L, 290L)), (MetricsRoute.ChatCompletions, (-1L, -1L)) })
        {
            for (var cut = 0; cut <= body.Length; cut++)
            {
                var stats = Fresh();
                stats.Route = route;
                UsageScanner.Append(stats, body.AsSpan(0, cut));
                UsageScanner.Append(stats, body.AsSpan(cut));
                UsageScanner.Finish(stats);
                Assert.True(expected == (stats.PromptTokens, stats.CompletionTokens), $"{route}, split at {cut}");
            }
        }
    }

    [Theory]
    [InlineData(900)]
    [InlineData(5000)]
    public void Scan_LongBody_UsageAtTheEndFound_AnyReadSize(int padding)
    {
        var body = Encoding.UTF8.GetBytes($$$"""{"content":"{{{new string('x', padding)}}}","usage":{"prompt_tokens":3,"completion_tokens":4}}""");
        foreach (var size in new[] { 1, 7, 100, 1023, 1024, 1025, 4096, body.Length })
        {
            var stats = Fresh();
            for (var at = 0; at < body.Length; at += size)
            {
                UsageScanner.Append(stats, body.AsSpan(at, Math.Min(size, body.Length - at)));
            }

            UsageScanner.Finish(stats);
            Assert.True((3L, 4L) == (stats.PromptTokens, stats.CompletionTokens), $"reads of {size}");
        }
    }

    [Fact]
    public void Scan_UsageFartherThanTheKeptEnd_NotCounted()
    {
        var stats = Fresh();
        UsageScanner.Append(stats, Encoding.UTF8.GetBytes("""{"usage":{"prompt_tokens":3,"completion_tokens":4},"timings":""" + new string(' ', RequestStats.TailBytes) + "}"));
        UsageScanner.Finish(stats);
        Assert.Equal((-1L, -1L), (stats.PromptTokens, stats.CompletionTokens));
    }

    private static RequestStats Fresh()
    {
        var stats = new RequestStats();
        stats.Reset(0);
        return stats;
    }
}
