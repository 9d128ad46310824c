using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Server;

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

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON; charset=utf-8", true)]
    [InlineData("application/vnd.api+json", true)]
    [InlineData("application/jsonl", false)]
    [InlineData("text/json+json", false)]
    [InlineData("application/x-ndjson", false)]
    [InlineData(null, false)]
    public void IsJson_ContentTypeValue_JsonOrPlusJsonSuffix(string? contentType, bool expected)
    {
        Assert.Equal(expected, MediaType.IsJson(contentType));
    }
}
