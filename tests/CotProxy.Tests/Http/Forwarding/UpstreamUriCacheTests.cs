using CotProxy.Http.Forwarding;

namespace CotProxy.Tests.Http.Forwarding;

public sealed class UpstreamUriCacheTests
{
    [Theory]
    [InlineData("http://h:8080/v1", "/v1/chat/completions", "http://h:8080/v1/chat/completions")]
    [InlineData("http://h:8080/v1", "/chat/completions?stream=1", "http://h:8080/v1/chat/completions?stream=1")]
    [InlineData("http://h:8080/", "/a/../b/%41", "http://h:8080/a/../b/%41")]
    public void Get_AnyTarget_SameAsJoin(string baseUrl, string target, string expected)
    {
        var cache = new UpstreamUriCache(new Uri(baseUrl));

        var first = cache.Get(target);
        var second = cache.Get(new string(target.AsSpan()));

        Assert.Equal(expected, first.OriginalString);
        Assert.Equal(UpstreamUri.Join(new Uri(baseUrl), target).OriginalString, first.OriginalString);
        Assert.Same(first, second);
    }

    [Fact]
    public void Get_EndlessDistinctTargets_StopsCachingButStillAnswers()
    {
        var cache = new UpstreamUriCache(new Uri("http://h/"));
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal($"http://h/p{i}", cache.Get("/p" + i).OriginalString);
        }

        // Past the bound a target is built again on each call instead of being kept.
        Assert.NotSame(cache.Get("/p1999"), cache.Get("/p1999"));
        Assert.Same(cache.Get("/p0"), cache.Get("/p0"));
    }

    [Fact]
    public void Get_LongTarget_BuiltEachTimeNotKept()
    {
        var cache = new UpstreamUriCache(new Uri("http://h/"));
        var target = "/v1/chat/completions?" + new string('q', 300);

        Assert.Equal("http://h" + target, cache.Get(target).OriginalString);
        Assert.NotSame(cache.Get(target), cache.Get(target));
    }
}
