using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;

namespace CotProxy.Logging;

/// <summary>
/// Our own words for what an exception means, for a client's error message or a log line. The native-AOT build sets
/// UseSystemResourceKeys (CotProxy.csproj) to save the runtime's message strings, so an exception's Message is a
/// resource key there (<c>net_http_client_execution_error</c>), not a sentence: no message the proxy shows comes from
/// one. Only enum names (a SocketError, an HttpRequestError) and type names survive trimming, and are kept as detail.
/// </summary>
internal static class ExceptionText
{
    /// <summary>
    /// A clause (lower case, no full stop) saying what went wrong, from the most telling exception in the chain: a
    /// socket error first, then a TLS failure, then what the HTTP client says of its request, then the outermost kind.
    /// </summary>
    public static string Describe(Exception exception)
    {
        if (Find<SocketException>(exception) is { } socket)
        {
            return Socket(socket.SocketErrorCode);
        }

        if (Find<AuthenticationException>(exception) is not null)
        {
            return "the TLS handshake failed: the certificate or the protocol version was not accepted (AuthenticationException)";
        }

        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http)
            {
                return Http(http.HttpRequestError);
            }

            if (ex is HttpIOException { HttpRequestError: not HttpRequestError.Unknown } io)
            {
                return Http(io.HttpRequestError);
            }
        }

        return exception switch
        {
            OperationCanceledException => "it was cancelled before it completed (its time ran out or its client went away)",
            TimeoutException => "it timed out (TimeoutException)",
            InvalidDataException => "the data is not valid in its compression format (InvalidDataException)",
            JsonException json => json.BytePositionInLine is { } at
                ? $"it is not JSON the proxy accepts (a syntax error, or a name given twice in one object) at line {(json.LineNumber ?? 0) + 1}, byte {at + 1}"
                : "it is not JSON the proxy accepts (a syntax error, or a name given twice in one object)",
            FileNotFoundException or DirectoryNotFoundException => "there is no such file or directory",
            UnauthorizedAccessException => "permission denied",
            PathTooLongException => "the path is too long",
            EndOfStreamException => "the data ended before it was complete (EndOfStreamException)",
            IOException when exception.InnerException is { } inner => Describe(inner),
            IOException => "the connection or file broke off during reading or writing (IOException)",
            HttpRequestException when exception.InnerException is { } inner => Describe(inner),
            HttpRequestException => "the HTTP request failed (HttpRequestException)",
            _ => $"an unexpected {exception.GetType().Name}",
        };
    }

    /// <summary>What a socket error means, with its name.</summary>
    public static string Socket(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "the connection was refused: nothing listens there (ConnectionRefused)",
        SocketError.ConnectionReset => "the other side reset the connection (ConnectionReset)",
        SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.Disconnecting => $"the connection was closed ({error})",
        SocketError.TimedOut => "the connection timed out (TimedOut)",
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => $"the host name does not resolve ({error})",
        SocketError.HostUnreachable or SocketError.HostDown => $"the host cannot be reached ({error})",
        SocketError.NetworkUnreachable or SocketError.NetworkDown or SocketError.NetworkReset => $"the network cannot be reached ({error})",
        SocketError.AddressAlreadyInUse => "the address is already in use (AddressAlreadyInUse)",
        SocketError.AddressNotAvailable => "the address is not available on this machine (AddressNotAvailable)",
        SocketError.AccessDenied => "permission denied (AccessDenied)",
        SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable => $"the process is out of sockets or buffers ({error})",
        _ => $"a socket error ({error})",
    };

    /// <summary>What the HTTP client's own classification of a failed request means, with its name.</summary>
    public static string Http(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => "the host name does not resolve (NameResolutionError)",
        HttpRequestError.ConnectionError => "the connection could not be made, or broke (ConnectionError)",
        HttpRequestError.SecureConnectionError => "the TLS handshake failed (SecureConnectionError)",
        HttpRequestError.HttpProtocolError => "the answer broke the HTTP protocol (HttpProtocolError)",
        HttpRequestError.ExtendedConnectNotSupported => "the server does not support the extended CONNECT asked for (ExtendedConnectNotSupported)",
        HttpRequestError.VersionNegotiationError => "the server does not speak the HTTP version asked for (VersionNegotiationError)",
        HttpRequestError.UserAuthenticationError => "the server asked for credentials that were not given (UserAuthenticationError)",
        HttpRequestError.ProxyTunnelError => "the tunnel through the outbound proxy failed (ProxyTunnelError)",
        HttpRequestError.InvalidResponse => "the answer is not valid HTTP (InvalidResponse)",
        HttpRequestError.ResponseEnded => "the answer ended before it was complete (ResponseEnded)",
        HttpRequestError.ConfigurationLimitExceeded => "the answer went over a limit of the HTTP client, such as the size of its headers (ConfigurationLimitExceeded)",
        _ => $"the HTTP request failed ({error})",
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
