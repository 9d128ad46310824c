using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class JsonDocumentScannerTests
{
    [Fact]
    public void Scan_ChoicesWithIndexAndFinish_NotedInOrder()
    {
        using var scanner = new JsonDocumentScanner();
        Assert.True(scanner.Scan("{\"choices\":[{\"index\":2,\"finish_reason\":null},{\"finish_reason\":\"stop\",\"index\":0}]}"u8));
        Assert.Equal([(2, false), (0, true)], scanner.Elements);
        Assert.False(scanner.OllamaDone);
    }

    [Fact]
    public void Scan_ChoiceWithoutIndex_NumberedByPosition()
    {
        using var scanner = new JsonDocumentScanner();
        Assert.True(scanner.Scan("{\"choices\":[{\"delta\":{}},7,{\"index\":\"x\"}]}"u8));
        Assert.Equal([(0, false), (1, false), (2, false)], scanner.Elements);
    }

    [Theory]
    [InlineData("{\"done\":true}", true)]
    [InlineData("{\"done\":false}", false)]
    [InlineData("{\"message\":{\"done\":true}}", false)]
    public void Scan_OllamaDone_OnlyAtTheRoot(string json, bool done)
    {
        using var scanner = new JsonDocumentScanner();
        Assert.True(scanner.Scan(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(done, scanner.OllamaDone);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("")]
    [InlineData("{\"a\":1")]
    [InlineData("{\"a\":\"\\ud800\"}")]
    [InlineData("{\"\\udc00\":1}")]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"\\ud83d\"}}]}")]
    [InlineData("{\"a\":1} {\"b\":2}")]
    public void Scan_NotAnObjectItCanReencode_False(string json)
    {
        using var scanner = new JsonDocumentScanner();
        Assert.False(scanner.Scan(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Scan_InvalidUtf8InAString_False()
    {
        using var scanner = new JsonDocumentScanner();
        Assert.False(scanner.Scan([.. "{\"a\":\"x"u8, 0xC3, .. "\"}"u8]));
        Assert.False(scanner.Scan([.. "{\"choices\":[{\"delta\":{\"content\":\""u8, 0xFF, .. "\"}}]}"u8]));
    }

    [Fact]
    public void Scan_NestingDeeperThanTheReader_False()
    {
        using var scanner = new JsonDocumentScanner();
        string json = "{\"a\":" + new string('[', 100) + new string(']', 100) + "}";
        Assert.False(scanner.Scan(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Scan_ValidSurrogatePairEscape_True()
    {
        using var scanner = new JsonDocumentScanner();
        Assert.True(scanner.Scan("{\"a\":\"\\ud83d\\ude00\"}"u8));
    }

    [Fact]
    public void Scan_Reused_ForgetsThePreviousDocument()
    {
        using var scanner = new JsonDocumentScanner();
        Assert.True(scanner.Scan("{\"choices\":[{\"index\":1}],\"done\":true}"u8));
        Assert.True(scanner.Scan("{\"id\":\"x\"}"u8));
        Assert.Empty(scanner.Elements);
        Assert.False(scanner.OllamaDone);
    }
}
