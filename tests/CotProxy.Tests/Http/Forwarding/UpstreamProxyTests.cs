using CotProxy.Http.Forwarding;

namespace CotProxy.Tests.Http.Forwarding;

public sealed class UpstreamProxyTests
{
    private static readonly Uri s_proxy = new("http://proxy.test:3128");

    [Theory]
    [InlineData("example.com", "https://example.com/v1", true)]
    [InlineData("example.com", "https://api.EXAMPLE.com/v1", true)]
    [InlineData(".example.com", "https://example.com/", true)]
    [InlineData("example.com.", "https://a.example.com./", true)]
    [InlineData("example.com", "https://notexample.com/", false)]
    [InlineData("example.com", "https://example.com.evil.test/", false)]
    [InlineData(" a.test , example.com ", "https://example.com/", true)]
    [InlineData("*", "https://anything.test/", true)]
    [InlineData("*.example.com", "https://a.example.com/", false)]
    [InlineData("10.0.0.5", "https://10.0.0.5:8443/", true)]
    [InlineData("10.0.0.5", "https://10.0.0.6/", false)]
    [InlineData("10.0.0.0/8", "https://10.200.1.1/", true)]
    [InlineData("192.168.0.0/16", "https://10.200.1.1/", false)]
    [InlineData("::1", "https://[::1]:8080/", true)]
    [InlineData("[::1]", "https://[::1]:8080/", true)]
    [InlineData("fd00::/8", "https://[fd12::1]/", true)]
    [InlineData("", "https://example.com/", false)]
    public void IsBypassed_NoProxyEntries_AsCurlMatchesThem(string noProxy, string destination, bool bypassed)
    {
        var proxy = new UpstreamProxy(s_proxy, s_proxy, noProxy);

        Assert.Equal(bypassed, proxy.IsBypassed(new Uri(destination)));
        Assert.Equal(bypassed ? null : s_proxy, proxy.GetProxy(new Uri(destination)));
    }

    [Fact]
    public void GetProxy_EachSchemeItsOwnProxy()
    {
        var https = new Uri("http://tls-proxy.test:3128");
        var http = new Uri("http://plain-proxy.test:8080");
        var proxy = new UpstreamProxy(https, http, null);

        Assert.Equal(https, proxy.GetProxy(new Uri("https://api.test/v1")));
        Assert.Equal(http, proxy.GetProxy(new Uri("http://api.test/v1")));
        Assert.True(new UpstreamProxy(https, null, null).IsBypassed(new Uri("http://api.test/")));
    }

    [Fact]
    public void Credentials_FromUserInfo_NotInTheProxyUrl()
    {
        var proxy = new UpstreamProxy(new Uri("http://alice:p%40ss@proxy.test:3128"), null, null);

        Assert.Equal(new Uri("http://proxy.test:3128"), proxy.HttpsProxy);
        var credential = proxy.Credentials!.GetCredential(new Uri("http://proxy.test:3128"), "Basic");
        Assert.Equal(("alice", "p@ss"), (credential!.UserName, credential.Password));
    }
}
