namespace CotProxy.Http.Server;

/// <summary>Why a request was refused before it reached a handler. <see cref="HttpRejection.StatusFor"/> maps each to a status.</summary>
internal enum RejectionReason
{
    MalformedRequestLine,
    RequestLineTooLong,
    UnsupportedHttpVersion,
    MalformedHeader,
    HeadersTooLarge,
    TooManyHeaders,
    MissingOrDuplicateHost,
    InvalidHost,
    InvalidContentLength,
    ConflictingContentLength,
    ContentLengthWithTransferEncoding,
    UnsupportedTransferEncoding,
    MalformedChunkedEncoding,
    BodyTooLarge,
    UnexpectedEndOfBody,
    HeadersTimeout,
    BodyTimeout,
    UnsupportedExpectation,
}
