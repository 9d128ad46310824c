using System.Runtime.InteropServices;
using CotProxy.Http.Server;

namespace CotProxy.Http.Forwarding;

/// <summary>Builds the request sent upstream from the client's: method, target, end-to-end headers, X-Forwarded-*, body.</summary>
internal static class UpstreamRequest
{
    private const int ReadBufferSize = 16 * 1024;

    /// <summary>
    /// The upstream request for the client's request: <paramref name="method"/> to <paramref name="target"/>, the client's
    /// end-to-end headers plus X-Forwarded-*, and a body: <paramref name="bufferedBody"/> when the proxy read (and perhaps
    /// rewrote) it, else the client's body streamed through when <paramref name="forwardClientBody"/>.
    /// <paramref name="identityEncoding"/> asks for an unencoded response, for a body the proxy rewrites.
    /// </summary>
    public static HttpRequestMessage Create(HttpContext context, HttpMethod method, Uri target, ReadOnlyMemory<byte>? bufferedBody, bool identityEncoding, bool forwardClientBody)
    {
        var request = context.Request;
        var message = new HttpRequestMessage(method, target)
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        if (bufferedBody is { } body)
        {
            // ByteArrayContent lets SocketsHttpHandler send a small body in the same write as the request head.
            message.Content = MemoryMarshal.TryGetArray(body, out var segment)
                ? new ByteArrayContent(segment.Array!, segment.Offset, segment.Count)
                : new ReadOnlyMemoryContent(body);
        }
        else if (request.HasBody && forwardClientBody)
        {
            message.Content = new StreamContent(context.Body, ReadBufferSize);
            if (!request.IsChunked)
            {
                message.Content.Headers.ContentLength = request.ContentLength;
            }
        }

        var connection = HopByHop.NamedFields(request.Connection);
        var headers = message.Headers;
        string? forwardedFor = null;
        foreach (var (name, value) in CollectionsMarshal.AsSpan(request.Headers))
        {
            if (HopByHop.IsNamedByConnection(name, connection))
            {
                continue;
            }

            switch (Classify(name))
            {
                case RequestField.ForwardedFor:
                    forwardedFor = forwardedFor is null ? value : forwardedFor + ", " + value;
                    break;
                case RequestField.AcceptEncoding when !identityEncoding:
                case RequestField.Request:
                    // The parser already refused CR, LF and NUL in values (RFC 9110 §5.5), so nothing can be injected here.
                    headers.TryAddWithoutValidation(name, value);
                    break;
                case RequestField.Content:
                    message.Content?.Headers.TryAddWithoutValidation(name, value);
                    break;
            }
        }

        // De-facto X-Forwarded-* headers (as nginx and YARP send them): the client's address appended to any chain it sent.
        var client = context.RemoteEndPoint?.Address;
        if (client is not null)
        {
            var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4().ToString() : client.ToString();
            forwardedFor = forwardedFor is null ? address : forwardedFor + ", " + address;
        }

        if (forwardedFor is not null)
        {
            headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        if (request.Host is { Length: > 0 } host)
        {
            headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        }

        if (identityEncoding)
        {
            // A body the proxy rewrites must arrive as plain text, so it is never re-sent under a stale Content-Encoding.
            headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        }

        return message;
    }

    private enum RequestField
    {
        /// <summary>Not forwarded: hop-by-hop, or set by the proxy (Host, Content-Length, Expect, X-Forwarded-Proto/-Host).</summary>
        Skip,
        ForwardedFor,
        AcceptEncoding,
        Content,
        Request,
    }

    // X-Forwarded-Proto/-Host are set by the proxy, replacing the client's (YARP's default "Set"): "https, http" is no scheme.
    private static RequestField Classify(string name) => name.Length switch
    {
        4 when name.Equals("Host", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        6 when name.Equals("Expect", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        14 when name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        15 when name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase) => RequestField.ForwardedFor,
        15 when name.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase) => RequestField.AcceptEncoding,
        16 when name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        17 when name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        _ when HopByHop.IsHopByHop(name) => RequestField.Skip,
        _ when name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) => RequestField.Content,
        _ => RequestField.Request,
    };

    /// <summary>The method to send upstream; only for a method <see cref="CanSendAsIs"/> accepts.</summary>
    public static HttpMethod MethodFor(string method) => method switch
    {
        "GET" => HttpMethod.Get,
        "POST" => HttpMethod.Post,
        "HEAD" => HttpMethod.Head,
        "PUT" => HttpMethod.Put,
        "DELETE" => HttpMethod.Delete,
        "OPTIONS" => HttpMethod.Options,
        "PATCH" => HttpMethod.Patch,
        _ => new HttpMethod(method),
    };

    /// <summary>
    /// False for a case variant of a method the runtime knows (<c>get</c>, <c>Post</c>, <c>head</c>): RFC 9110 §9.1 makes
    /// it another method, but SocketsHttpHandler sends it upper-cased, and a <c>head</c> with HEAD's semantics
    /// (dotnet/corefx#30149), so it cannot be forwarded as the client sent it. HttpMethod.Parse gives the method the
    /// handler would send: the known one, upper-cased, for any letter case.
    /// </summary>
    public static bool CanSendAsIs(string method) =>
        method is "GET" or "POST" || string.Equals(HttpMethod.Parse(method).Method, method, StringComparison.Ordinal);
}
