using CotProxy.Configuration;

namespace CotProxy.Tests.Configuration;

public sealed class ProxySettingsTests
{
    [Fact]
    public void New_NoInitializers_HoldsDocumentedDefaults()
    {
        var s = new ProxySettings();
        Assert.Equal(ProxyCommand.Serve, s.Command);
        Assert.Equal("0.0.0.0", s.Host);
        Assert.Equal(5000, s.Port);
        Assert.Equal(new Uri("https://api.openai.com/v1/"), s.TargetBaseUrl);
        Assert.Equal(TimeSpan.FromSeconds(3000), s.ApiRequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), s.ConnectTimeout);
        Assert.Equal(33_554_432, s.MaxRequestBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), s.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), s.RequestBodyTimeout);
        Assert.Equal(TimeSpan.FromSeconds(75), s.KeepAliveTimeout);
        Assert.Equal(15, s.ThinkKeepAliveSeconds);
        Assert.Equal(SettingSource.Default, s.SourceOf("PORT"));
    }

    [Fact]
    public void TargetBaseUrl_InitWithoutTrailingSlash_Normalized()
    {
        var s = new ProxySettings { TargetBaseUrl = new Uri("http://127.0.0.1:9000/v1") };
        Assert.Equal("http://127.0.0.1:9000/v1/", s.TargetBaseUrl.AbsoluteUri);
    }

    [Fact]
    public void Init_InvalidValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { Port = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { Port = 65536 });
        Assert.Throws<ArgumentException>(() => new ProxySettings { Host = "" });
        Assert.Throws<ArgumentException>(() => new ProxySettings { TargetBaseUrl = new Uri("ftp://h/") });
        Assert.Throws<ArgumentException>(() => new ProxySettings { TargetBaseUrl = new Uri("http://h/?q=1") });
        Assert.Throws<ArgumentException>(() => new ProxySettings { TargetBaseUrl = new Uri("v1/", UriKind.Relative) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { ApiRequestTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { ConnectTimeout = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { KeepAliveTimeout = TimeSpan.FromDays(30) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { ShutdownTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { RequestHeadersTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { RequestBodyTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { MaxRequestBodyBytes = 1024 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { MaxRequestBodyBytes = 4097L * 1024 * 1024 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { ThinkKeepAliveSeconds = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProxySettings { ThinkKeepAliveSeconds = 3601 });
    }

    [Fact]
    public void Init_BoundaryValues_Accepted()
    {
        var s = new ProxySettings
        {
            Port = 0,
            Host = "[::]",
            ApiRequestTimeout = TimeSpan.FromMilliseconds(1),
            KeepAliveTimeout = TimeSpan.FromSeconds(2_147_483),
            MaxRequestBodyBytes = 4096L * 1024 * 1024,
            ThinkKeepAliveSeconds = 0,
        };
        Assert.Equal(0, s.Port);
        Assert.Equal("::", s.Host);
        Assert.Equal(4096L * 1024 * 1024, s.MaxRequestBodyBytes);
    }

    [Theory]
    [InlineData("0.0.0.0", 5000, "http://127.0.0.1:5000/health")]
    [InlineData("::", 5001, "http://[::1]:5001/health")]
    [InlineData("[::]", 5002, "http://[::1]:5002/health")]
    [InlineData("127.0.0.1", 80, "http://127.0.0.1/health")]
    [InlineData("::1", 5003, "http://[::1]:5003/health")]
    [InlineData("192.168.1.20", 5004, "http://192.168.1.20:5004/health")]
    [InlineData("localhost", 5005, "http://localhost:5005/health")]
    public void HealthCheckUrl_ListenAddress_ReachableLocalUrl(string host, int port, string expected)
    {
        Assert.Equal(expected, new ProxySettings { Host = host, Port = port }.HealthCheckUrl.AbsoluteUri);
    }
}
