using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Server;

/// <summary>A rejection for a broken limit names the limit in force, read from <see cref="HttpLimits"/>.</summary>
public sealed class HttpRejectionTests
{
    [Fact]
    public void MessageFor_DefaultLimits_NamesTheDefaults()
    {
        var limits = new HttpLimits();

        Assert.Equal("Request line is longer than 8 KiB.", HttpRejection.MessageFor(RejectionReason.RequestLineTooLong, limits));
        Assert.Equal("Request header fields are larger than 32 KiB.", HttpRejection.MessageFor(RejectionReason.HeadersTooLarge, limits));
        Assert.Equal("Request has more than 100 header fields.", HttpRejection.MessageFor(RejectionReason.TooManyHeaders, limits));
        Assert.Equal("Request body is larger than 32 MiB (MAX_REQUEST_BODY_MB).", HttpRejection.MessageFor(RejectionReason.BodyTooLarge, limits));
    }

    [Fact]
    public void MessageFor_OtherLimits_NamesThoseLimits()
    {
        var limits = new HttpLimits { MaxRequestLineBytes = 1000, MaxHeaderBytes = 64 * 1024, MaxHeaderCount = 5, MaxRequestBodyBytes = 4096L * 1024 * 1024 };

        Assert.Equal("Request line is longer than 1000 bytes.", HttpRejection.MessageFor(RejectionReason.RequestLineTooLong, limits));
        Assert.Equal("Request header fields are larger than 64 KiB.", HttpRejection.MessageFor(RejectionReason.HeadersTooLarge, limits));
        Assert.Equal("Request has more than 5 header fields.", HttpRejection.MessageFor(RejectionReason.TooManyHeaders, limits));
        Assert.Equal("Request body is larger than 4096 MiB (MAX_REQUEST_BODY_MB).", HttpRejection.MessageFor(RejectionReason.BodyTooLarge, limits));
    }

    [Fact]
    public void Create_WithLimits_MessageAndStatusFromThem()
    {
        var rejection = HttpRejection.Create(RejectionReason.BodyTooLarge, new HttpLimits { MaxRequestBodyBytes = 2L * 1024 * 1024 });

        Assert.Equal("Request body is larger than 2 MiB (MAX_REQUEST_BODY_MB).", rejection.Message);
        Assert.Equal(413, rejection.StatusCode);
    }
}
