using System.Text;
using CotProxy.Tests.Support;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class NdjsonFixtureTests
{
    private const string Ndjson = "application/x-ndjson";
    private const string Name = "ollama-cloud-native__gpt-oss-120b_api_chat_ndjson_stream_thinking_field.txt";

    [FixtureFact]
    public void Rewrite_OllamaNativeChat_ThinkingGoneAnswerAndDoneKept()
    {
        byte[] input = Fixtures.ReadBytes(Name);
        var options = new ResponseRewriteOptions();
        byte[] output = RewriterHarness.Run(Ndjson, options, input, 0);
        foreach (int size in new[] { 1, 5, 333 })
        {
            Assert.Equal(output, RewriterHarness.Run(Ndjson, options, input, size));
        }

        List<string> inLines = Lines(input);
        List<string> outLines = Lines(output);
        Assert.Equal(RewriterHarness.VisibleText(inLines), RewriterHarness.VisibleText(outLines));
        FixtureChecks.NoReasoningFields(outLines);
        Assert.Contains(outLines, line => line.Contains("\"done\":true", StringComparison.Ordinal));
        Assert.True(outLines.Count < inLines.Count, "lines that carried only thinking are dropped");
        Golden.Verify(Encoding.UTF8.GetString(output), "Ndjson." + Path.GetFileNameWithoutExtension(Name));
    }

    [FixtureFact]
    public void Rewrite_OllamaNativeChatSplitMode_BytesUnchanged()
    {
        byte[] input = Fixtures.ReadBytes(Name);
        Assert.Equal(input, RewriterHarness.Run(Ndjson, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input, 7));
    }

    private static List<string> Lines(byte[] body) =>
        Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
}
