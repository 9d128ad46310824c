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
    [InlineData("""{"done":true,"prompt_eval_count":26,"eval_count":290}""", 26, 290)]
    [InlineData("""{"usage":{"input_tokens":4,"output_tokens":5}}""", 4, 5)]
    [InlineData("data: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\ndata: {\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n", 1, 2)]
    [InlineData("""{"content":"say \"prompt_tokens\":5 please"}""", -1, -1)]
    [InlineData("""{"max_tokens":64}""", -1, -1)]
    public void Scan_AnySplit_SameNumbers(string body, long prompt, long completion)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var stats = Fresh();
            UsageScanner.Scan(stats, bytes.AsSpan(0, cut));
            UsageScanner.Scan(stats, bytes.AsSpan(cut));
            Assert.True((prompt, completion) == (stats.PromptTokens, stats.CompletionTokens), $"split at {cut}: {stats.PromptTokens}, {stats.CompletionTokens}");
        }

        var bytewise = Fresh();
        foreach (var b in bytes)
        {
            UsageScanner.Scan(bytewise, [b]);
        }

        Assert.Equal((prompt, completion), (bytewise.PromptTokens, bytewise.CompletionTokens));
    }

    private static RequestStats Fresh()
    {
        var stats = new RequestStats();
        stats.Reset(0);
        return stats;
    }
}
