using System.Buffers;
using System.Diagnostics;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>Work in proportion to the input: finding a choice by its index is one step, whatever the number of choices.</summary>
public sealed class LinearWorkTests
{
    private const int Choices = 100_000;

    [Theory]
    [InlineData(ResponseFrame.Body)]
    [InlineData(ResponseFrame.Stream)]
    public void Rewrite_HundredThousandChoices_OneLookupPerChoice(ResponseFrame frame)
    {
        var json = new StringBuilder("{\"id\":\"x\",\"choices\":[");
        for (int i = 0; i < Choices; i++)
        {
            json.Append(i == 0 ? "" : ",").Append("{\"index\":").Append(i).Append(",\"message\":{\"content\":\"<think>t</think>A\"},\"finish_reason\":\"stop\"}");
        }

        json.Append("]}");
        byte[] body = Encoding.UTF8.GetBytes(frame == ResponseFrame.Stream ? "data: " + json.Replace("\"message\"", "\"delta\"") + "\n\n" : json.ToString());
        using var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(
            frame == ResponseFrame.Stream ? ResponseFraming.EventStream : ResponseFraming.JsonBody, new ResponseRewriteOptions())!;
        var output = new ArrayBufferWriter<byte>();
        var clock = Stopwatch.StartNew();
        rewriter.Write(body, output);
        rewriter.Complete(output);

        // The structural proof: a dictionary lookup per choice (a scan would count one step per choice compared).
        Assert.InRange(rewriter.ChoiceLookups, Choices, 2L * Choices);
        Assert.Null(rewriter.FailureReason);
        string text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.DoesNotContain("<think>", text, StringComparison.Ordinal);
        Assert.Contains("{\"index\":99999,", text, StringComparison.Ordinal);
        // A safety net only, far above the second this takes (the scan took 15 s of CPU).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    public enum ResponseFrame
    {
        Body,
        Stream,
    }
}
