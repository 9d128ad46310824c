using CotProxy.Configuration;

namespace CotProxy.Tests.Configuration;

public sealed class SettingValueParserTests
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("True", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("YES", true)]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("0", false)]
    [InlineData("no", false)]
    [InlineData("No", false)]
    public void TryParseBoolean_AcceptedSpelling_GivesValue(string text, bool expected)
    {
        Assert.True(SettingValueParser.TryParseBoolean(text, out bool value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("on")]
    [InlineData("off")]
    [InlineData("y")]
    [InlineData("2")]
    [InlineData(" true")]
    [InlineData("true ")]
    [InlineData("01")]
    public void TryParseBoolean_OtherText_Fails(string text)
    {
        Assert.False(SettingValueParser.TryParseBoolean(text, out _));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("5000", 5000)]
    [InlineData("65535", 65535)]
    [InlineData("08080", 8080)]
    public void TryParseInteger_DigitsInRange_GivesValue(string text, int expected)
    {
        Assert.True(SettingValueParser.TryParseInteger(text, 0, 65535, out int value));
        Assert.Equal(expected, value);
    }

    // int.Parse (NumberStyles.Integer) would accept the sign and blank cases below; only ASCII digits pass here.
    [Theory]
    [InlineData("")]
    [InlineData("+5")]
    [InlineData("-0")]
    [InlineData("-1")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("0x10")]
    [InlineData("1e3")]
    [InlineData("5000.0")]
    [InlineData("65536")]
    [InlineData("99999999999")]
    [InlineData("\u0665")]
    [InlineData("1_000")]
    public void TryParseInteger_NotPlainDigitsOrOutOfRange_Fails(string text)
    {
        Assert.False(SettingValueParser.TryParseInteger(text, 0, 65535, out _));
    }

    [Theory]
    [InlineData("30", 30_000)]
    [InlineData("0.5", 500)]
    [InlineData("1.25", 1_250)]
    [InlineData("0.001", 1)]
    [InlineData("3000", 3_000_000)]
    [InlineData("2147483", 2_147_483_000)]
    [InlineData("007", 7_000)]
    public void TryParseSeconds_ValidDuration_GivesMilliseconds(string text, long milliseconds)
    {
        Assert.True(SettingValueParser.TryParseSeconds(text, out TimeSpan value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0.0")]
    [InlineData("0.0001")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("1.2.3")]
    [InlineData("1,5")]
    [InlineData("2147484")]
    [InlineData("2147483.001")]
    [InlineData("10s")]
    [InlineData(" 10")]
    [InlineData("1e2")]
    [InlineData("99999999")]
    public void TryParseSeconds_InvalidDuration_Fails(string text)
    {
        Assert.False(SettingValueParser.TryParseSeconds(text, out _));
    }

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("[::1]", "::1")]
    [InlineData("fe80::1", "fe80::1")]
    [InlineData("localhost", "localhost")]
    [InlineData("proxy.example.com", "proxy.example.com")]
    [InlineData("model_server", "model_server")]
    public void TryParseHost_AddressOrName_GivesHost(string text, string expected)
    {
        Assert.True(SettingValueParser.TryParseHost(text, out string host));
        Assert.Equal(expected, host);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("127.1")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("local host")]
    [InlineData("http://localhost")]
    [InlineData("localhost:5000")]
    [InlineData("[127.0.0.1]")]
    [InlineData(":::")]
    public void TryParseHost_NotAnAddressOrName_Fails(string text)
    {
        Assert.False(SettingValueParser.TryParseHost(text, out _));
    }

    // Issue 2: http://h:8080, http://h:8080/ and http://h:8080/v1 must all join without /v1/v1.
    [Theory]
    [InlineData("http://h:8080", "http://h:8080/")]
    [InlineData("http://h:8080/", "http://h:8080/")]
    [InlineData("http://h:8080/v1", "http://h:8080/v1/")]
    [InlineData("http://h:8080/v1/", "http://h:8080/v1/")]
    [InlineData("https://api.openai.com/v1", "https://api.openai.com/v1/")]
    [InlineData("HTTP://LOCALHOST:11434/v1", "http://localhost:11434/v1/")]
    [InlineData("http://[::1]:8080/v1", "http://[::1]:8080/v1/")]
    public void TryParseTargetUrl_HttpUrl_NormalizedWithTrailingSlash(string text, string expected)
    {
        Assert.True(SettingValueParser.TryParseTargetUrl(text, out Uri url, out string reason));
        Assert.Equal(expected, url.AbsoluteUri);
        Assert.Equal("", reason);
    }

    [Theory]
    [InlineData("localhost:8080", "absolute http")]
    [InlineData("/v1", "absolute http")]
    [InlineData("v1/", "absolute http")]
    [InlineData("ftp://h/", "absolute http")]
    [InlineData("file:///etc/passwd", "absolute http")]
    [InlineData("ws://h/", "absolute http")]
    [InlineData("http://", "absolute http")]
    [InlineData("http://h/v1?key=1", "query")]
    [InlineData("http://h/v1#x", "fragment")]
    [InlineData("http://h/v1?", "query")]
    [InlineData("http://h/ v1", "spaces")]
    [InlineData(" http://h/v1", "spaces")]
    [InlineData("http://h/v1\n", "control")]
    public void TryParseTargetUrl_Invalid_FailsWithReason(string text, string reasonPart)
    {
        Assert.False(SettingValueParser.TryParseTargetUrl(text, out _, out string reason));
        Assert.Contains(reasonPart, reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("127.0.0.1", "127.0.0.1/32")]
    [InlineData("10.0.0.0/8,192.168.1.5", "10.0.0.0/8 192.168.1.5/32")]
    [InlineData(" 172.16.0.0/12 ,\t::1 ,", "172.16.0.0/12 ::1/128")]
    [InlineData("fd00::/8,2001:db8::/32", "fd00::/8 2001:db8::/32")]
    [InlineData("0.0.0.0/0,::/0", "0.0.0.0/0 ::/0")]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104")]
    public void TryParseNetworks_AddressesAndRanges_Parsed(string text, string expected)
    {
        Assert.True(SettingValueParser.TryParseNetworks(text, out var networks, out string reason), reason);
        Assert.Equal(expected, string.Join(" ", networks.Select(n => $"{n.BaseAddress}/{n.PrefixLength}")));
    }

    [Theory]
    [InlineData("proxy.local", "entry 'proxy.local' is not an IPv4 or IPv6 address")]
    [InlineData("10.0.0.0/8,10", "entry '10' is not an IPv4 or IPv6 address")]
    [InlineData("10.1", "entry '10.1' is not an IPv4 or IPv6 address")]
    [InlineData("0x0a.0.0.1", "entry '0x0a.0.0.1' is not an IPv4 or IPv6 address")]
    [InlineData("256.0.0.1", "entry '256.0.0.1' is not an IPv4 or IPv6 address")]
    [InlineData("fe80::1%eth0", "entry 'fe80::1%eth0' is not an IPv4 or IPv6 address")]
    [InlineData("10.0.0.0/33", "entry '10.0.0.0/33' has a prefix length that is not a whole number from 0 to 32")]
    [InlineData("10.0.0.0/", "entry '10.0.0.0/' has a prefix length that is not a whole number from 0 to 32")]
    [InlineData("10.0.0.0/+8", "entry '10.0.0.0/+8' has a prefix length that is not a whole number from 0 to 32")]
    [InlineData("::/129", "entry '::/129' has a prefix length that is not a whole number from 0 to 128")]
    [InlineData("192.168.1.5/24", "entry '192.168.1.5/24' has bits set past its /24 prefix (did you mean 192.168.1.0/24?)")]
    [InlineData("fd00::1/8", "entry 'fd00::1/8' has bits set past its /8 prefix (did you mean fd00::/8?)")]
    [InlineData("10.0.0.0/8 192.168.0.0/16", "entry '10.0.0.0/8 192.168.0.0/16' has a prefix length")]
    public void TryParseNetworks_BadEntry_ReasonNamesIt(string text, string reasonStart)
    {
        Assert.False(SettingValueParser.TryParseNetworks(text, out _, out string reason));
        Assert.StartsWith(reasonStart, reason, StringComparison.Ordinal);
    }
}
