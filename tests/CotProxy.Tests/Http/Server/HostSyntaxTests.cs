using System.Text;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Server;

public sealed class HostSyntaxTests
{
    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("proxy.test:8080")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:5000")]
    [InlineData("[::1]")]
    [InlineData("[::]")]
    [InlineData("[::1]:5000")]
    [InlineData("[2001:db8::ffff:192.0.2.1]:443")]
    [InlineData("my_host.internal")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("a%2Db.example")]
    [InlineData("host:")]
    public void IsValid_Authority_True(string value) => Assert.True(HostSyntax.IsValid(Encoding.Latin1.GetBytes(value)));

    [Theory]
    [InlineData("evil.com/x")]
    [InlineData("evil.com:80/x")]
    [InlineData("user@evil.com")]
    [InlineData("user:pass@evil.com")]
    [InlineData("a.com, b.com")]
    [InlineData("a.com,b.com")]
    [InlineData("a.com b.com")]
    [InlineData("evil.com?x")]
    [InlineData("evil.com#x")]
    [InlineData("evil.com\\x")]
    [InlineData(":80")]
    [InlineData("host:80:90")]
    [InlineData("host:8o")]
    [InlineData("[::1")]
    [InlineData("[]")]
    [InlineData("[:]")]
    [InlineData("[::1]x")]
    [InlineData("[::g]")]
    [InlineData("[v1.x]")]
    [InlineData("a%2")]
    [InlineData("a%zz")]
    [InlineData("caf\u00e9.example")]
    [InlineData("h\"x")]
    public void IsValid_NotAnAuthority_False(string value) => Assert.False(HostSyntax.IsValid(Encoding.Latin1.GetBytes(value)));
}
