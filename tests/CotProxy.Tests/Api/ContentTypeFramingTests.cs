using CotProxy.Api;

namespace CotProxy.Tests.Api;

public sealed class ContentTypeFramingTests
{
    [Theory]
    [InlineData("text/event-stream", "EventStream")]
    [InlineData("Text/Event-Stream; charset=utf-8", "EventStream")]
    [InlineData("application/x-ndjson", "Ndjson")]
    [InlineData("application/ndjson", "Ndjson")]
    [InlineData("application/json", "JsonBody")]
    [InlineData("application/problem+json; charset=utf-8", "JsonBody")]
    [InlineData("text/plain", "Text")]
    [InlineData("text/html;charset=UTF-8", "Text")]
    public void Of_ReadableContentType_ItsFraming(string contentType, string expected)
    {
        Assert.Equal(expected, ContentTypeFraming.Of(contentType)?.ToString());
    }

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/octet-stream")]
    [InlineData("")]
    [InlineData(null)]
    public void Of_NoReadableLabel_Null(string? contentType)
    {
        Assert.Null(ContentTypeFraming.Of(contentType));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("application/octet-stream", true)]
    [InlineData("application/json", true)]
    [InlineData("image/png", false)]
    [InlineData("Audio/mpeg", false)]
    [InlineData("video/mp4", false)]
    [InlineData("font/woff2", false)]
    public void MayHoldText_MediaType_OnlyNonTextMediaExcluded(string? contentType, bool expected)
    {
        Assert.Equal(expected, ContentTypeFraming.MayHoldText(contentType));
    }
}
