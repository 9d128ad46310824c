using System.Text;
using CotProxy.Api;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class BodyRewriterTests
{
    [Fact]
    public void JsonBody_TwoChoices_EachMessageFiltered()
    {
        string input = "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<think>a</think>\\n\\nA\"}},{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\"B<think>b</think>\"}}]}";
        string expected = "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A\"}},{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\"B\"}}]}";
        // Choice 1's block follows its answer: a tag there counts with think_tags_anywhere=true.
        Assert.Equal(expected, RunEverySplit("application/json", input, new ResponseRewriteOptions { TagsAnywhere = true }));
    }

    [Fact]
    public void JsonBody_SplitModeBothFields_ThinkingInBoth()
    {
        string input = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<think>why</think>\\n\\nA\"}}]}";
        string expected = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"A\",\"reasoning_content\":\"why\",\"reasoning\":\"why\"}}]}";
        Assert.Equal(expected, RunEverySplit("application/json", input, new ResponseRewriteOptions { Mode = ThinkMode.Split, ReasoningField = "both" }));
    }

    [Fact]
    public void JsonBody_MergeMode_SeedThoughtInlineAsThinkTags()
    {
        string input = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<seed:think>why</seed:think>A\"}}]}";
        string expected = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"<think>why</think>A\"}}]}";
        Assert.Equal(expected, RunEverySplit("application/json", input, new ResponseRewriteOptions { Mode = ThinkMode.Merge }));
    }

    [Fact]
    public void JsonBody_LegacyCompletionText_Filtered()
    {
        string input = "{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"<think>t</think>Done\",\"logprobs\":null}]}";
        string expected = "{\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"Done\",\"logprobs\":null}]}";
        Assert.Equal(expected, RunEverySplit("application/json; charset=utf-8", input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void JsonBody_OllamaNativeChat_ContentFilteredThinkingRemoved()
    {
        string input = "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\\u003cthink\\u003ex\\u003c/think\\u003eHi\",\"thinking\":\"y\"},\"done\":true}\n";
        string expected = "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":true}\n";
        Assert.Equal(expected, RunEverySplit("application/json", input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void JsonBody_ClientModelName_TopLevelModelRewritten()
    {
        string input = "{\"model\":\"upstream-name\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"Hi\",\"model\":\"inner\"}}]}";
        string expected = "{\"model\":\"alias\",\"choices\":[{\"index\":0,\"message\":{\"content\":\"Hi\",\"model\":\"inner\"}}]}";
        Assert.Equal(expected, RunEverySplit("application/json", input, new ResponseRewriteOptions { ClientModelName = "alias" }));
    }

    [Fact]
    public void JsonBody_SplitMode_ReasoningFieldAddedToMessage()
    {
        string input = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"<think>why</think>\\n\\nBecause\"}}]}";
        string expected = "{\"choices\":[{\"index\":0,\"message\":{\"content\":\"Because\",\"reasoning_content\":\"why\"}}]}";
        Assert.Equal(expected, RunEverySplit("application/json", input, new ResponseRewriteOptions { Mode = ThinkMode.Split }));
    }

    [Theory]
    [InlineData("{\"choices\":[{\"message\":{\"content\":\"<think>x</think>\"}}")]
    [InlineData("not json <think>x</think>")]
    [InlineData("[\"<think>x</think>\"]")]
    public void JsonBody_NotAJsonObjectInStripMode_FailsWithNothingWritten(string input)
    {
        // Fail closed: a body the filter cannot read may hold thinking; the caller answers 502 instead.
        (string output, string? failure) = RunBody(input, new ResponseRewriteOptions(), ResponseRewriterFactory.DefaultMaxBufferedBytes);
        Assert.Equal("", output);
        Assert.Contains("could not be read", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonBody_InvalidUtf8InAnswer_FailsWithNothingWritten()
    {
        byte[] input = [.. "{\"choices\":[{\"message\":{\"content\":\"<think>x</think>"u8, 0xFF, .. "Hi\"}}]}"u8];
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.JsonBody, new ResponseRewriteOptions())!;
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        rewriter.Write(input, output);
        rewriter.Complete(output);
        Assert.Equal(0, output.WrittenCount);
        Assert.NotNull(rewriter.FailureReason);
    }

    [Fact]
    public void JsonBody_NotAJsonObjectInKeepModeWithModelName_PassesUntouched()
    {
        (string output, string? failure) = RunBody("not json <think>x</think>", new ResponseRewriteOptions { Mode = ThinkMode.Keep, ClientModelName = "a" }, ResponseRewriterFactory.DefaultMaxBufferedBytes);
        Assert.Equal("not json <think>x</think>", output);
        Assert.Null(failure);
    }

    [Fact]
    public void JsonBody_NotJsonWithoutAnythingATagCouldStartWith_PassesUntouched()
    {
        // Outside a thought, with no byte that could begin a tag or a reasoning field, it cannot hold thinking.
        (string output, string? failure) = RunBody("Internal Server Error", new ResponseRewriteOptions(), ResponseRewriterFactory.DefaultMaxBufferedBytes);
        Assert.Equal("Internal Server Error", output);
        Assert.Null(failure);
    }

    [Fact]
    public void JsonBody_LargerThanLimit_FailsWithNothingWrittenAndTheLimitNamed()
    {
        (string output, string? failure) = RunBody("{\"choices\":[{\"message\":{\"content\":\"<think>x</think>Hi\"}}]}", new ResponseRewriteOptions(), maxBufferedBytes: 16);
        Assert.Equal("", output);
        Assert.Contains("16 bytes", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Ndjson_OllamaGenerate_ResponseFilteredThoughtLinesDropped()
    {
        string input = "{\"model\":\"m\",\"response\":\"\\u003cthink\\u003e\",\"done\":false}\n"
            + "{\"model\":\"m\",\"response\":\"hmm\",\"done\":false}\n"
            + "{\"model\":\"m\",\"response\":\"\\u003c/think\\u003e\\n\\n\",\"done\":false}\n"
            + "{\"model\":\"m\",\"response\":\"Hi\",\"done\":false}\n"
            + "{\"model\":\"m\",\"response\":\"\",\"done\":true,\"eval_count\":4}\n";
        string expected = "{\"model\":\"m\",\"response\":\"Hi\",\"done\":false}\n"
            + "{\"model\":\"m\",\"response\":\"\",\"done\":true,\"eval_count\":4}\n";
        Assert.Equal(expected, RunEverySplit("application/x-ndjson", input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void Ndjson_HeldPartialTagAtDone_ReleasedIntoDoneLine()
    {
        string input = "{\"message\":{\"role\":\"assistant\",\"content\":\"a <\"},\"done\":false}\r\n"
            + "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\r\n";
        string expected = "{\"message\":{\"role\":\"assistant\",\"content\":\"a \"},\"done\":false}\r\n"
            + "{\"message\":{\"role\":\"assistant\",\"content\":\"<\"},\"done\":true}\r\n";
        Assert.Equal(expected, RunEverySplit("application/x-ndjson", input, new ResponseRewriteOptions()));
    }

    [Fact]
    public void RawText_TagsSplitAnywhere_Stripped()
    {
        Assert.Equal("Hello \u00e9 world", RunEverySplit("text/plain", "Hello \u00e9<think>\u65e5</think> world", new ResponseRewriteOptions { TagsAnywhere = true }));
    }

    [Theory]
    [InlineData("text/event-stream", "EventStream")]
    [InlineData("Text/Event-Stream; charset=utf-8", "EventStream")]
    [InlineData("application/x-ndjson", "Ndjson")]
    [InlineData("application/json", "JsonBody")]
    [InlineData("application/problem+json", "JsonBody")]
    public void Create_JsonContentType_OneDocumentRewriterWithThatFraming(string contentType, string expected)
    {
        using IResponseRewriter? rewriter = (ContentTypeFraming.Of(contentType) is { } framing ? ResponseRewriterFactory.Create(framing, new ResponseRewriteOptions()) : null);
        Assert.Equal(expected, Assert.IsType<FramedDocumentRewriter>(rewriter).Framing.ToString());
    }

    [Fact]
    public void Create_PlainText_RawTextRewriter()
    {
        using IResponseRewriter? rewriter = ResponseRewriterFactory.Create(ContentTypeFraming.Of("text/plain; charset=utf-8")!.Value, new ResponseRewriteOptions());
        Assert.IsType<RawTextResponseRewriter>(rewriter);
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public void Create_NonTextContentType_Null(string? contentType)
    {
        Assert.Null((ContentTypeFraming.Of(contentType) is { } framing ? ResponseRewriterFactory.Create(framing, new ResponseRewriteOptions()) : null));
    }

    [Fact]
    public void Create_KeepModeWithoutModelName_Null()
    {
        Assert.Null(ResponseRewriterFactory.Create(ResponseFraming.EventStream, new ResponseRewriteOptions { Mode = ThinkMode.Keep }));
    }

    [Fact]
    public void Create_KeepModeWithModelNameOnPlainText_Null()
    {
        Assert.Null(ResponseRewriterFactory.Create(ResponseFraming.Text, new ResponseRewriteOptions { Mode = ThinkMode.Keep, ClientModelName = "a" }));
    }

    private static (string Output, string? Failure) RunBody(string input, ResponseRewriteOptions options, int maxBufferedBytes)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(ResponseFraming.JsonBody, options, maxBufferedBytes)!;
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        rewriter.Write(bytes.AsSpan(0, 10), output);
        rewriter.Write(bytes.AsSpan(10), output);
        rewriter.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), rewriter.FailureReason);
    }

    private static string RunEverySplit(string contentType, string input, ResponseRewriteOptions options)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        byte[] whole = RewriterHarness.Run(contentType, options, bytes, 0);
        for (int i = 0; i <= bytes.Length; i++)
        {
            Assert.Equal(whole, RewriterHarness.RunSplitAt(contentType, options, bytes, i));
        }

        Assert.Equal(whole, RewriterHarness.Run(contentType, options, bytes, 1));
        return Encoding.UTF8.GetString(whole);
    }
}
