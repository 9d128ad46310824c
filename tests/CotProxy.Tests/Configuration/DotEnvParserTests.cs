using CotProxy.Configuration;

namespace CotProxy.Tests.Configuration;

public sealed class DotEnvParserTests
{
    private static IReadOnlyDictionary<string, string> Parse(string text)
    {
        Assert.True(DotEnvParser.TryParse(text, "test.env", out IReadOnlyDictionary<string, string> values, out string error), error);
        Assert.Equal("", error);
        return values;
    }

    private static string ParseError(string text)
    {
        Assert.False(DotEnvParser.TryParse(text, "test.env", out _, out string error));
        return error;
    }

    [Theory]
    [InlineData("KEY=value", "value")]
    [InlineData("KEY=value\n", "value")]
    [InlineData("KEY=value\r\n", "value")]
    [InlineData("KEY = value", "value")]
    [InlineData("  KEY=value  ", "value")]
    [InlineData("KEY=\tvalue\t", "value")]
    [InlineData("export KEY=value", "value")]
    [InlineData("export\tKEY=value", "value")]
    [InlineData("KEY=", "")]
    [InlineData("KEY=   ", "")]
    [InlineData("KEY=a=b=c", "a=b=c")]
    [InlineData("KEY=value # comment", "value")]
    [InlineData("KEY=value\t# comment", "value")]
    [InlineData("KEY=a#b", "a#b")]
    [InlineData("KEY=#notacomment", "#notacomment")]
    [InlineData("KEY= # only a comment", "")]
    [InlineData("KEY=http://h:8080/v1", "http://h:8080/v1")]
    [InlineData("KEY=${OTHER}", "${OTHER}")]
    [InlineData("KEY=it's", "it's")]
    [InlineData("KEY='single quoted'", "single quoted")]
    [InlineData("KEY='  kept blanks  '", "  kept blanks  ")]
    [InlineData("KEY='literal \\n and \" and #'", "literal \\n and \" and #")]
    [InlineData("KEY='a' # comment", "a")]
    [InlineData("KEY=''", "")]
    [InlineData("KEY=\"double quoted\"", "double quoted")]
    [InlineData("KEY=\"line1\\nline2\"", "line1\nline2")]
    [InlineData("KEY=\"tab\\there\"", "tab\there")]
    [InlineData("KEY=\"say \\\"hi\\\"\"", "say \"hi\"")]
    [InlineData("KEY=\"back\\\\slash\"", "back\\slash")]
    [InlineData("KEY=\"\\$HOME\"", "$HOME")]
    [InlineData("KEY=\"# not a comment\"", "# not a comment")]
    [InlineData("KEY=\"a\"\t#comment", "a")]
    [InlineData("KEY=\"\"", "")]
    [InlineData("\uFEFFKEY=bom", "bom")]
    [InlineData("key_2=lower", "lower")]
    public void TryParse_OneLine_GivesValue(string text, string expected)
    {
        IReadOnlyDictionary<string, string> values = Parse(text);
        string key = Assert.Single(values.Keys);
        Assert.Equal(expected, values[key]);
    }

    // The seed's Qwen3 example writes \u003cthink\u003e: the escape must survive for LLM_PARAMS' own decoder.
    [Fact]
    public void TryParse_DoubleQuotedUnknownEscape_KeptAsWritten()
    {
        IReadOnlyDictionary<string, string> values = Parse("LLM_PARAMS=\"model=q,think_tag_start=\\u003cthink\\u003e,x=\\q\"");
        Assert.Equal("model=q,think_tag_start=\\u003cthink\\u003e,x=\\q", values["LLM_PARAMS"]);
    }

    [Fact]
    public void TryParse_UnquotedBackslashes_KeptAsWritten()
    {
        IReadOnlyDictionary<string, string> values = Parse("THINK_END_TAG=</think>\\n\\n");
        Assert.Equal("</think>\\n\\n", values["THINK_END_TAG"]);
    }

    [Fact]
    public void TryParse_CommentsBlankLinesAndSeveralKeys_AllRead()
    {
        const string Text = """
            # cot-proxy settings

            TARGET_BASE_URL=http://llama:8080/v1
               # indented comment
            export DEBUG=true

            LLM_PARAMS='model=default,temperature=0.7'
            """;
        IReadOnlyDictionary<string, string> values = Parse(Text);
        Assert.Equal(3, values.Count);
        Assert.Equal("http://llama:8080/v1", values["TARGET_BASE_URL"]);
        Assert.Equal("true", values["DEBUG"]);
        Assert.Equal("model=default,temperature=0.7", values["LLM_PARAMS"]);
    }

    [Fact]
    public void TryParse_SameKeyTwice_LastWins()
    {
        Assert.Equal("2", Parse("PORT=1\nPORT=2\n")["PORT"]);
    }

    [Fact]
    public void TryParse_EmptyText_NoValues()
    {
        Assert.Empty(Parse(""));
        Assert.Empty(Parse("\n\n# only comments\n\r\n"));
    }

    [Fact]
    public void TryParse_QuotedValueOverSeveralLines_KeepsLineBreaksAndCountsLines()
    {
        IReadOnlyDictionary<string, string> values = Parse("A=\"one\r\ntwo\"\nB='x\ny'\nC=3\n");
        Assert.Equal("one\ntwo", values["A"]);
        Assert.Equal("x\ny", values["B"]);
        Assert.Equal("3", values["C"]);

        // The bad line is the fifth even though two values spanned two lines each.
        string error = ParseError("A=\"one\ntwo\"\nB='x\ny'\nnot a setting\n");
        Assert.StartsWith("test.env line 5:", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("JUSTAKEY", "test.env line 1: expected '=' after JUSTAKEY")]
    [InlineData("A=1\nB", "test.env line 2: expected '=' after B")]
    [InlineData("A=1\n\n# c\nKEY value", "test.env line 4: expected '=' after KEY")]
    [InlineData("=value", "test.env line 1: expected KEY=VALUE")]
    [InlineData("1KEY=value", "test.env line 1: expected KEY=VALUE")]
    [InlineData("MY-KEY=value", "test.env line 1: key \"MY-KEY\" may contain only letters, digits and '_'")]
    [InlineData("A.B = value", "test.env line 1: key \"A.B\" may contain only letters, digits and '_'")]
    [InlineData("export =x", "test.env line 1: expected KEY=VALUE")]
    [InlineData("A=\"open", "test.env line 1: A: the double quote opened here is never closed")]
    [InlineData("A=1\nB='open\nC=2", "test.env line 2: B: the single quote opened here is never closed")]
    [InlineData("A=\"x\"y", "test.env line 1: A: unexpected text after the closing quote")]
    [InlineData("A='x' y", "test.env line 1: A: unexpected text after the closing quote")]
    public void TryParse_MalformedLine_ErrorNamesFileAndLine(string text, string expectedStart)
    {
        Assert.StartsWith(expectedStart, ParseError(text), StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MalformedLine_ErrorDoesNotEchoTheValue()
    {
        string error = ParseError("OPENAI_API_KEY=\"sk-secret-value");
        Assert.DoesNotContain("sk-secret", error, StringComparison.Ordinal);
    }
}
