using System.Diagnostics;
using System.Globalization;

namespace CotProxy.Http.Server;

/// <summary>The one request-rejection type: carries a reason, never the client's bytes.</summary>
internal sealed class HttpRejection : Exception
{
    private static readonly HttpLimits s_defaultLimits = new();

    private HttpRejection(RejectionReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public RejectionReason Reason { get; }

    public int StatusCode => StatusFor(Reason);

    public static int StatusFor(RejectionReason reason) => reason switch
    {
        RejectionReason.RequestLineTooLong => 414,
        RejectionReason.UnsupportedHttpVersion => 505,
        RejectionReason.HeadersTooLarge or RejectionReason.TooManyHeaders => 431,
        RejectionReason.BodyTooLarge => 413,
        RejectionReason.HeadersTimeout or RejectionReason.BodyTimeout => 408,
        RejectionReason.UnsupportedExpectation => 417,
        _ => 400,
    };

    /// <summary>The client-facing message; a broken limit is named with its value in <paramref name="limits"/>.</summary>
    public static string MessageFor(RejectionReason reason, HttpLimits limits) => reason switch
    {
        RejectionReason.MalformedRequestLine => "Malformed request line.",
        RejectionReason.RequestLineTooLong => string.Create(CultureInfo.InvariantCulture, $"Request line is longer than {Size(limits.MaxRequestLineBytes)}."),
        RejectionReason.UnsupportedHttpVersion => "Only HTTP/1.0 and HTTP/1.1 are supported.",
        RejectionReason.MalformedHeader => "Malformed header field.",
        RejectionReason.HeadersTooLarge => string.Create(CultureInfo.InvariantCulture, $"Request header fields are larger than {Size(limits.MaxHeaderBytes)}."),
        RejectionReason.TooManyHeaders => string.Create(CultureInfo.InvariantCulture, $"Request has more than {limits.MaxHeaderCount} header fields."),
        RejectionReason.MissingOrDuplicateHost => "An HTTP/1.1 request needs exactly one Host header.",
        RejectionReason.InvalidHost => "The Host header must be a host name or IP address with an optional port, nothing else.",
        RejectionReason.InvalidContentLength => "Invalid Content-Length.",
        RejectionReason.ConflictingContentLength => "Conflicting Content-Length values.",
        RejectionReason.ContentLengthWithTransferEncoding => "Content-Length and Transfer-Encoding must not both be sent.",
        RejectionReason.UnsupportedTransferEncoding => "Only the chunked transfer coding is supported.",
        RejectionReason.MalformedChunkedEncoding => "Malformed chunked request body.",
        // The one limit a deployment sets (Program copies it from the setting), so the message says which setting.
        RejectionReason.BodyTooLarge => string.Create(CultureInfo.InvariantCulture, $"Request body is larger than {Size(limits.MaxRequestBodyBytes)} (MAX_REQUEST_BODY_MB)."),
        RejectionReason.UnexpectedEndOfBody => "The connection closed before the request body was complete.",
        RejectionReason.HeadersTimeout => "Request headers were not received in time.",
        RejectionReason.BodyTimeout => "The request body stopped arriving.",
        RejectionReason.UnsupportedExpectation => "Only the 100-continue expectation is supported.",
        _ => "Bad request.",
    };

    /// <summary>A request refused for a reason other than a broken size limit (malformed, timed out, unsupported).</summary>
    public static HttpRejection Create(RejectionReason reason)
    {
        Debug.Assert(!IsSizeLimit(reason), "a broken size limit is reported with the limits in force: Create(reason, limits)");
        return new(reason, MessageFor(reason, s_defaultLimits));
    }

    /// <summary>A request that broke one of <paramref name="limits"/>: the message names the limit in force.</summary>
    public static HttpRejection Create(RejectionReason reason, HttpLimits limits) => new(reason, MessageFor(reason, limits));

    private static bool IsSizeLimit(RejectionReason reason) =>
        reason is RejectionReason.RequestLineTooLong or RejectionReason.HeadersTooLarge or RejectionReason.TooManyHeaders or RejectionReason.BodyTooLarge;

    /// <summary>A byte count in the largest binary unit that divides it: 8 KiB, 32 MiB, 1000 bytes.</summary>
    private static string Size(long bytes) =>
        bytes > 0 && bytes % (1024 * 1024) == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024 * 1024)} MiB")
        : bytes > 0 && bytes % 1024 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
}
