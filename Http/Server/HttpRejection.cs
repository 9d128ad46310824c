namespace CotProxy.Http.Server;

/// <summary>The one request-rejection type: carries a reason, never the client's bytes.</summary>
internal sealed class HttpRejection : Exception
{
    public HttpRejection(RejectionReason reason)
        : base(MessageFor(reason))
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

    public static string MessageFor(RejectionReason reason) => reason switch
    {
        RejectionReason.MalformedRequestLine => "Malformed request line.",
        RejectionReason.RequestLineTooLong => "Request line is longer than 8 KiB.",
        RejectionReason.UnsupportedHttpVersion => "Only HTTP/1.0 and HTTP/1.1 are supported.",
        RejectionReason.MalformedHeader => "Malformed header field.",
        RejectionReason.HeadersTooLarge => "Request header fields are larger than 32 KiB.",
        RejectionReason.TooManyHeaders => "Request has more than 100 header fields.",
        RejectionReason.MissingOrDuplicateHost => "An HTTP/1.1 request needs exactly one Host header.",
        RejectionReason.InvalidContentLength => "Invalid Content-Length.",
        RejectionReason.ConflictingContentLength => "Conflicting Content-Length values.",
        RejectionReason.ContentLengthWithTransferEncoding => "Content-Length and Transfer-Encoding must not both be sent.",
        RejectionReason.UnsupportedTransferEncoding => "Only the chunked transfer coding is supported.",
        RejectionReason.MalformedChunkedEncoding => "Malformed chunked request body.",
        RejectionReason.BodyTooLarge => "Request body is larger than the configured MAX_REQUEST_BODY_MB.",
        RejectionReason.UnexpectedEndOfBody => "The connection closed before the request body was complete.",
        RejectionReason.HeadersTimeout => "Request headers were not received in time.",
        RejectionReason.BodyTimeout => "The request body stopped arriving.",
        RejectionReason.UnsupportedExpectation => "Only the 100-continue expectation is supported.",
        _ => "Bad request.",
    };

    public static HttpRejection Create(RejectionReason reason) => new(reason);
}
