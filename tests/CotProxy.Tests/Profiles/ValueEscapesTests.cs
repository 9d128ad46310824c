using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

public sealed class ValueEscapesTests
{
    [Theory]
    [InlineData(@"plain", "plain")]
    [InlineData(@"\n\n/no_think", "\n\n/no_think")]
    [InlineData(@"a\rb\tc", "a\rb\tc")]
    [InlineData(@"back\\slash", @"back\slash")]
    [InlineData(@"comma\, semi\;", "comma, semi;")]
    [InlineData(@"\u003cthink\u003e", "<think>")]
    [InlineData(@"\u003C/THINK\u003E", "</THINK>")]
    [InlineData(@"\uD83D\uDE00", "\U0001F600")]
    [InlineData(@"\\n", @"\n")]
    [InlineData("", "")]
    public void Decode_ValidEscapes_Decoded(string input, string expected)
    {
        Assert.Equal(expected, ValueEscapes.Decode(input));
    }

    [Theory]
    [InlineData(@"a\x", @"bad escape ""\x""")]
    [InlineData(@"say \""hi\""", @"bad escape ""\""""")]
    [InlineData(@"trailing\", "lone backslash")]
    [InlineData(@"\u12", @"bad escape ""\u12"": \u needs exactly four hex digits")]
    [InlineData(@"\u12G4", @"bad escape ""\u12G4""")]
    [InlineData(@"\uD83D alone", @"\uD83D is half of a UTF-16 surrogate pair")]
    [InlineData(@"\uDE00", @"\uDE00 is half of a UTF-16 surrogate pair")]
    public void Decode_BadEscape_ThrowsClearMessage(string input, string expectedPart)
    {
        FormatException e = Assert.Throws<FormatException>(() => ValueEscapes.Decode(input));
        Assert.Contains(expectedPart, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
