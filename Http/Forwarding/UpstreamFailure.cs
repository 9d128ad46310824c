using System.Net.Sockets;
using System.Security.Authentication;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// One failed upstream call, before the client's response started: what went wrong, where, and the exception if any.
/// <see cref="Describe"/> is the one place that decides the status a failure becomes and says so in words a person
/// can act on, never with an exception's own message (a resource key in the trimmed build: <see cref="ExceptionText"/>);
/// nothing else in the proxy picks a status for an upstream failure.
/// </summary>
internal sealed class UpstreamFailure
{
    public UpstreamFailure(ForwarderError error, Uri target, Exception? exception = null, long limit = 0, string? detail = null)
    {
        Error = error;
        Target = target;
        Exception = exception;
        Limit = limit;
        Detail = detail;
    }

    public ForwarderError Error { get; }

    public Uri Target { get; }

    public Exception? Exception { get; }

    /// <summary>For <see cref="ForwarderError.ResponseBodyTooLarge"/>: the most bytes the proxy holds.</summary>
    public long Limit { get; }

    /// <summary>For <see cref="ForwarderError.UnsupportedEncoding"/> and <see cref="ForwarderError.UndecodableBody"/>: the Content-Encoding the upstream sent; for <see cref="ForwarderError.ResponseBodyUnfilterable"/>: why.</summary>
    public string? Detail { get; }

    /// <summary>
    /// The connection never opened (refused, timed out, name not resolved), so no byte of the request was sent: another
    /// upstream serving the same model may take it.
    /// </summary>
    public bool IsConnectFailure => Error is ForwarderError.ConnectionRefused or ForwarderError.ConnectTimeout or ForwarderError.NameResolution;

    /// <summary>Classifies an exception from SocketsHttpHandler; <paramref name="timedOut"/> says our own deadline fired.</summary>
    public static UpstreamFailure FromException(Exception ex, Uri target, bool timedOut, bool readingBody = false)
    {
        ForwarderError error;
        if (timedOut)
        {
            error = readingBody ? ForwarderError.ResponseBodyTimeout : ForwarderError.ResponseTimeout;
        }
        else if (readingBody)
        {
            error = ForwarderError.ResponseBody;
        }
        else if (Find<TimeoutException>(ex) is not null || ex is OperationCanceledException)
        {
            // SocketsHttpHandler's ConnectTimeout surfaces as a cancellation wrapping a TimeoutException.
            error = ForwarderError.ConnectTimeout;
        }
        else if (Find<AuthenticationException>(ex) is not null || ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
        {
            error = ForwarderError.Tls;
        }
        else if (Find<SocketException>(ex) is { } socket)
        {
            error = socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => ForwarderError.ConnectionRefused,
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => ForwarderError.NameResolution,
                SocketError.TimedOut => ForwarderError.ConnectTimeout,
                _ => ForwarderError.Connection,
            };
        }
        else if (ex is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError })
        {
            error = ForwarderError.NameResolution;
        }
        else
        {
            error = ForwarderError.Request;
        }

        return new UpstreamFailure(error, target, ex);
    }

    /// <summary>The status, message and machine-readable code the client gets for this failure.</summary>
    public (int Status, string Message, string Code) Describe(UpstreamOptions options)
    {
        // Scheme, host and port only: user-info from TARGET_BASE_URL (http://user:pass@host) is never shown.
        var where = Target.Scheme + "://" + Target.Authority;
        return Error switch
        {
            ForwarderError.ResponseTimeout => (504, $"The upstream at {where} sent no response within {options.ApiRequestTimeout.TotalSeconds:0.#} s ({options.TimeoutSetting}).", "upstream_timeout"),
            ForwarderError.ConnectTimeout => (504, $"Connecting to the upstream at {where} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s.", "upstream_connect_timeout"),
            ForwarderError.ConnectionRefused => (502, $"Could not connect to the upstream at {where}: connection refused. Is the model server running, and is {options.BaseUrlSetting} right?", "upstream_connection_refused"),
            ForwarderError.NameResolution => (502, $"Could not resolve the upstream host of {where} (DNS). Check {options.BaseUrlSetting}.", "upstream_dns_error"),
            ForwarderError.Tls => (502, $"Could not set up TLS with the upstream at {where}: {(Exception is null ? "the handshake did not complete" : ExceptionText.Describe(Exception))}. Check the upstream's certificate, and that {options.BaseUrlSetting}'s scheme is the one it speaks.", "upstream_tls_error"),
            ForwarderError.Connection => (502, $"Could not reach the upstream at {where}: {(Exception is null ? "the connection failed" : ExceptionText.Describe(Exception))}.", "upstream_connection_error"),
            ForwarderError.UnsolicitedUpgrade => (502, $"The upstream at {where} answered 101 Switching Protocols, though the proxy asked it for no upgrade; its answer was not passed on.", "upstream_protocol_error"),
            ForwarderError.UndecodableBody => (502, $"The upstream at {where} sent a body that is not valid {Detail}, so it could not be decoded to filter it.", "upstream_bad_encoding"),
            ForwarderError.AmbiguousFraming => (502, $"The upstream at {where} sent a response with ambiguous framing (conflicting Content-Length / Transfer-Encoding).", "upstream_bad_framing"),
            ForwarderError.ResponseBodyTimeout => (504, $"The upstream at {where} stopped sending its response for longer than {options.ApiRequestTimeout.TotalSeconds:0.#} s ({options.TimeoutSetting}).", "upstream_timeout"),
            ForwarderError.ResponseBody => (502, $"The upstream at {where} broke off its response: {(Exception is null ? "it closed the connection" : ExceptionText.Describe(Exception))}.", "upstream_error"),
            ForwarderError.ResponseBodyTooLarge => (502, $"The upstream's answer to {Target.AbsolutePath} is larger than {Limit} bytes.", "upstream_body_too_large"),
            ForwarderError.ResponseBodyUnfilterable => (502, $"The response of the upstream at {where} could not be filtered, so it was not passed on: {Detail}", "upstream_body_unfilterable"),
            ForwarderError.UnsupportedEncoding => (502, $"The upstream at {where} sent its response with Content-Encoding {Detail}, which the proxy cannot decode to filter it (gzip, deflate and br it can).", "upstream_unsupported_encoding"),
            _ => (502, $"The upstream at {where} failed: {(Exception is null ? "no answer" : ExceptionText.Describe(Exception))}.", "upstream_error"),
        };
    }

    /// <summary>
    /// The <c>kind</c> label of cot_proxy_upstream_errors_total: the failure's class in this map, in snake case
    /// (<c>connection_refused</c>, <c>response_timeout</c>…), one constant string per class.
    /// </summary>
    public static string KindOf(ForwarderError error) => error switch
    {
        ForwarderError.ConnectionRefused => "connection_refused",
        ForwarderError.NameResolution => "name_resolution",
        ForwarderError.Tls => "tls",
        ForwarderError.ConnectTimeout => "connect_timeout",
        ForwarderError.Connection => "connection",
        ForwarderError.ResponseTimeout => "response_timeout",
        ForwarderError.AmbiguousFraming => "ambiguous_framing",
        ForwarderError.UnsolicitedUpgrade => "unsolicited_upgrade",
        ForwarderError.UndecodableBody => "undecodable_body",
        ForwarderError.ResponseBodyTimeout => "response_body_timeout",
        ForwarderError.ResponseBody => "response_body",
        ForwarderError.ResponseBodyTooLarge => "response_body_too_large",
        ForwarderError.ResponseBodyUnfilterable => "response_body_unfilterable",
        ForwarderError.UnsupportedEncoding => "unsupported_encoding",
        _ => "request",
    };

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T match)
            {
                return match;
            }
        }

        return null;
    }
}
