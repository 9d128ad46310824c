namespace CotProxy.Http.Forwarding;

/// <summary>
/// Why forwarding failed before the client's response started (in the manner of YARP's ForwarderError).
/// <see cref="UpstreamFailure.Describe"/> maps each to the status and words the client gets, in one switch.
/// </summary>
internal enum ForwarderError
{
    /// <summary>The upstream refused the TCP connection (nothing listens there).</summary>
    ConnectionRefused,

    /// <summary>The upstream's host name does not resolve.</summary>
    NameResolution,

    /// <summary>The TLS handshake with the upstream failed.</summary>
    Tls,

    /// <summary>Connecting took longer than CONNECT_TIMEOUT.</summary>
    ConnectTimeout,

    /// <summary>Another socket error while reaching the upstream.</summary>
    Connection,

    /// <summary>No response head within API_REQUEST_TIMEOUT.</summary>
    ResponseTimeout,

    /// <summary>The upstream answered with framing that cannot be trusted (Content-Length and chunked, or differing lengths).</summary>
    AmbiguousFraming,

    /// <summary>
    /// The upstream answered 101 Switching Protocols, though the proxy never forwards an Upgrade request (RFC 9110 §7.8: a
    /// server must not switch to a protocol the client did not ask for; §15.2.2).
    /// </summary>
    UnsolicitedUpgrade,

    /// <summary>A body the proxy must decode to rewrite is not valid in its Content-Encoding (corrupt gzip, deflate or br).</summary>
    UndecodableBody,

    /// <summary>A body the proxy reads whole before answering stopped arriving for longer than API_REQUEST_TIMEOUT.</summary>
    ResponseBodyTimeout,

    /// <summary>A body the proxy reads whole before answering broke off.</summary>
    ResponseBody,

    /// <summary>A body the proxy reads whole before answering is larger than the proxy holds.</summary>
    ResponseBodyTooLarge,

    /// <summary>A whole body the proxy must rewrite could not be (too large, or unreadable where it must not pass unread).</summary>
    ResponseBodyUnfilterable,

    /// <summary>A body the proxy must rewrite came in a content coding it cannot undo.</summary>
    UnsupportedEncoding,

    /// <summary>Any other failure of the upstream call.</summary>
    Request,
}
