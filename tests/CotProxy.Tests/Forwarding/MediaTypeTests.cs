using CotProxy.Http;

namespace CotProxy.Tests.Forwarding;

public sealed class MediaTypeTests
{
    [Theory]
    [InlineData("text/event-stream", true)]
    [InlineData("text/event-stream; charset=utf-8", true)]
    [InlineData("Text/Event-Stream;charset=utf-8", true)]
    [InlineData("  text/event-stream  ", true)]
    [InlineData("text/event-streams", false)]
    [InlineData("application/json", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Is_ContentTypeValue_ComparesMediaTypeOnly(string? contentType, bool expected)
    {
        Assert.Equal(expected, MediaType.Is(contentType, "text/event-stream"));
    }
}
