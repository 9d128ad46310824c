using System.Net;
using CotProxy.Configuration;
using CotProxy.Http.Forwarding;

namespace CotProxy.Tests.Http.Forwarding;

public sealed class TrustedProxiesTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.9.9.9", true)]
    [InlineData("192.168.1.5", "192.168.1.5", true)]
    [InlineData("192.168.1.5", "192.168.1.6", false)]
    [InlineData("192.168.1.0/31", "192.168.1.1", true)]
    [InlineData("192.168.1.0/31", "192.168.1.2", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "127.0.0.1", false)]
    [InlineData("fd00::/8", "fd12:3456::1", true)]
    [InlineData("fd00::/8", "fe80::1", false)]
    [InlineData("2001:db8::/127", "2001:db8::1", true)]
    [InlineData("2001:db8::/127", "2001:db8::2", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.0/104", "10.200.0.1", true)]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.200.0.1", true)]
    [InlineData("::ffff:10.0.0.0/104", "11.0.0.1", false)]
    [InlineData("", "127.0.0.1", false)]
    public void Contains_PeerAddress_MatchedAgainstEveryRange(string setting, string peer, bool expected)
    {
        Assert.Equal(expected, Parse(setting).Contains(IPAddress.Parse(peer)));
    }

    [Fact]
    public void Contains_ManyChecks_AllocateNothing()
    {
        var trusted = Parse("10.0.0.0/8,192.168.0.0/16,fd00::/8,::1");
        IPAddress[] peers = [IPAddress.Parse("192.168.4.4"), IPAddress.Parse("203.0.113.1"), IPAddress.Parse("::ffff:10.0.0.1"), IPAddress.Parse("2001:db8::1"), IPAddress.IPv6Loopback];
        var matched = 0;
        foreach (var peer in peers)
        {
            matched += trusted.Contains(peer) ? 1 : 0;
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            foreach (var peer in peers)
            {
                matched += trusted.Contains(peer) ? 1 : 0;
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(3 * 1001, matched);
    }

    private static TrustedProxies Parse(string setting)
    {
        Assert.True(SettingValueParser.TryParseNetworks(setting, out var networks, out var reason), reason);
        return new TrustedProxies(networks);
    }
}
