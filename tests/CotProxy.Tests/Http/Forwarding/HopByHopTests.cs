using CotProxy.Http.Forwarding;

namespace CotProxy.Tests.Http.Forwarding;

public sealed class HopByHopTests
{
    [Theory]
    [InlineData("Connection", true)]
    [InlineData("keep-alive", true)]
    [InlineData("TE", true)]
    [InlineData("Upgrade", true)]
    [InlineData("transfer-encoding", true)]
    [InlineData("Proxy-Authorization", true)]
    [InlineData("proxy-authenticate", true)]
    [InlineData("PROXY-", true)]
    [InlineData("Proxy", false)]
    [InlineData("Pragma", false)]
    [InlineData("Priority", false)]
    [InlineData("X-Proxy-Thing", false)]
    [InlineData("Trailer", false)]
    [InlineData("Content-Type", false)]
    public void IsHopByHop_Name_IsAsRfc9110Section7_6_1Says(string name, bool expected) =>
        Assert.Equal(expected, HopByHop.IsHopByHop(name));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("keep-alive", null)]
    [InlineData("Keep-Alive", null)]
    [InlineData("close", null)]
    [InlineData("CLOSE", null)]
    [InlineData(" keep-alive , close ", null)]
    [InlineData("keep-alive, X-Secret", "keep-alive, X-Secret")]
    [InlineData("X-Secret", "X-Secret")]
    [InlineData("closed", "closed")]
    public void NamedFields_ConnectionValue_IsNullUnlessItNamesAField(string? connection, string? expected) =>
        Assert.Equal(expected, HopByHop.NamedFields(connection));
}
