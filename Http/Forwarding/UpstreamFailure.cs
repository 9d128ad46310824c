using System.Net.Sockets;
using System.Security.Authentication;

namespace CotProxy.Http.Forwarding;

/// <summary>The one place that decides which status a failed upstream call becomes, and says so in words a person can act on.</summary>
internal static class UpstreamFailure
{
    public static (int Status, string Message, string Code) Describe(Exception ex, Uri target, ForwarderOptions options, bool headersTimedOut)
    {
        var where = target.GetLeftPart(UriPartial.Authority);
        if (headersTimedOut)
        {
            return (504, $"The upstream at {where} sent no response within {options.ApiRequestTimeout.TotalSeconds:0.#} s (API_REQUEST_TIMEOUT).", "upstream_timeout");
        }

        if (Find<TimeoutException>(ex) is not null || ex is OperationCanceledException)
        {
            return (504, $"Connecting to the upstream at {where} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s.", "upstream_connect_timeout");
        }

        if (Find<AuthenticationException>(ex) is { } tls)
        {
            return (502, $"TLS handshake with the upstream at {where} failed: {tls.Message}", "upstream_tls_error");
        }

        if (Find<SocketException>(ex) is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => (502, $"Could not connect to the upstream at {where}: connection refused. Is the model server running, and is TARGET_BASE_URL right?", "upstream_connection_refused"),
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => (502, $"Could not resolve the upstream host of {where} (DNS). Check TARGET_BASE_URL.", "upstream_dns_error"),
                SocketError.TimedOut => (504, $"Connecting to the upstream at {where} timed out.", "upstream_connect_timeout"),
                _ => (502, $"Could not reach the upstream at {where}: {socket.SocketErrorCode}.", "upstream_connection_error"),
            };
        }

        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError })
        {
            return (502, $"Could not resolve the upstream host of {where} (DNS). Check TARGET_BASE_URL.", "upstream_dns_error");
        }

        if (ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
        {
            return (502, $"TLS handshake with the upstream at {where} failed.", "upstream_tls_error");
        }

        return (502, $"The upstream at {where} failed: {ex.Message}", "upstream_error");
    }

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
