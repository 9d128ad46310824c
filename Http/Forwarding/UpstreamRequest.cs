using System.Runtime.InteropServices;
using CotProxy.Http.Server;

namespace CotProxy.Http.Forwarding;

/// <summary>Builds the request sent upstream from the client's: method, target, end-to-end headers, X-Forwarded-*, body.</summary>
internal static class UpstreamRequest
{
    private const int ReadBufferSize = 16 * 1024;

    [ThreadStatic]
    private static string? t_lastAddress;

    [ThreadStatic]
    private static string? t_lastForwardedFor;

    /// <summary>
    /// The upstream request for the client's request: <paramref name="method"/> to <paramref name="target"/>, the client's
    /// end-to-end headers plus the forwarding headers, and a body: <paramref name="bufferedBody"/> when the proxy read (and perhaps
    /// rewrote) it, else the client's body streamed through when <paramref name="forwardClientBody"/>.
    /// <paramref name="identityEncoding"/> asks for an unencoded response, for a body the proxy rewrites.
    /// <paramref name="trustedProxies"/> are the peers whose X-Forwarded-Proto, X-Forwarded-Host and X-Real-IP are kept.
    /// </summary>
    public static HttpRequestMessage Create(HttpContext context, HttpMethod method, Uri target, ReadOnlyMemory<byte>? bufferedBody, bool identityEncoding, bool forwardClientBody, TrustedProxies trustedProxies, UpstreamCredentials credentials)
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
            message.Content = body.Length > CopiedBodyContent.MinBytes ? new CopiedBodyContent(body)
                : MemoryMarshal.TryGetArray(body, out var segment) ? new ByteArrayContent(segment.Array!, segment.Offset, segment.Count)
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

        // The forwarding headers' policy (README, "Forwarding headers"), all of it here. X-Forwarded-For and Forwarded are
        // chains every hop appends to (as nginx's $proxy_add_x_forwarded_for does); X-Forwarded-Proto, X-Forwarded-Host and
        // X-Real-IP describe the client as this proxy saw it, so the ones a client sent are replaced, unless the peer's
        // address is in TRUSTED_PROXIES: a proxy in front of this one saw the real client, and its values are kept.
        var peer = context.RemoteEndPoint?.Address;
        var trusted = trustedProxies.Contains(peer);
        string? forwardedFor = null;
        string? forwarded = null;
        bool keptProto = false, keptHost = false, keptRealIp = false;
        foreach (var (name, value) in CollectionsMarshal.AsSpan(request.Headers))
        {
            if (HopByHop.IsNamedByConnection(name, connection) || credentials.Drops(name))
            {
                continue;
            }

            switch (Classify(name))
            {
                case RequestField.ForwardedFor:
                    forwardedFor = forwardedFor is null ? value : forwardedFor + ", " + value;
                    break;
                case RequestField.Forwarded:
                    // RFC 7239 §4: Forwarded is a list; several field lines are one list, joined.
                    forwarded = forwarded is null ? value : forwarded + ", " + value;
                    break;
                case RequestField.ForwardedProto when trusted:
                    keptProto = true;
                    headers.TryAddWithoutValidation(name, value);
                    break;
                case RequestField.ForwardedHost when trusted:
                    keptHost = true;
                    headers.TryAddWithoutValidation(name, value);
                    break;
                case RequestField.RealIp when trusted:
                    keptRealIp = true;
                    headers.TryAddWithoutValidation(name, value);
                    break;
                case RequestField.AcceptEncoding when !identityEncoding:
                case RequestField.RequestId when context.RequestId is null:
                case RequestField.Request:
                    // The parser already refused CR, LF and NUL in values (RFC 9110 §5.5), so nothing can be injected here.
                    headers.TryAddWithoutValidation(name, value);
                    break;
                case RequestField.Content:
                    message.Content?.Headers.TryAddWithoutValidation(name, value);
                    break;
            }
        }

        var address = context.RemoteAddressText;
        if (address is not null)
        {
            forwardedFor = forwardedFor is null ? address : forwardedFor + ", " + address;
            forwarded = forwarded is null ? ForwardedFor(address) : forwarded + ", for=" + ForwardedNode(address);
        }

        if (forwardedFor is not null)
        {
            headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        if (forwarded is not null)
        {
            headers.TryAddWithoutValidation("Forwarded", forwarded);
        }

        if (!keptProto)
        {
            headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        }

        // The Host field's syntax was checked by the parser (host [":" port], RFC 9110 §7.2), so this is one authority.
        if (!keptHost && request.Host is { Length: > 0 } host)
        {
            headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        }

        if (!keptRealIp && address is not null)
        {
            headers.TryAddWithoutValidation("X-Real-IP", address);
        }

        // The proxy's request id replaces the client's (it is the client's, once checked: Api/RequestIds), so the upstream
        // logs the id the proxy logged.
        if (context.RequestId is { } requestId)
        {
            headers.TryAddWithoutValidation(HeaderNames.RequestId, requestId);
        }

        if (credentials.Header is { } keyHeader)
        {
            headers.TryAddWithoutValidation(keyHeader, credentials.Value);
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
        /// <summary>Not forwarded: hop-by-hop, or set by the proxy (Host, Content-Length, Expect).</summary>
        Skip,
        ForwardedFor,
        Forwarded,
        ForwardedProto,
        ForwardedHost,
        RealIp,
        AcceptEncoding,

        /// <summary>X-Request-Id: sent as the proxy's own (the client's when valid) when the request has one.</summary>
        RequestId,
        Content,
        Request,
    }

    private static RequestField Classify(string name) => name.Length switch
    {
        4 when name.Equals("Host", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        6 when name.Equals("Expect", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        9 when name.Equals("Forwarded", StringComparison.OrdinalIgnoreCase) => RequestField.Forwarded,
        9 when name.Equals("X-Real-IP", StringComparison.OrdinalIgnoreCase) => RequestField.RealIp,
        14 when name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        15 when name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase) => RequestField.ForwardedFor,
        15 when name.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase) => RequestField.AcceptEncoding,
        16 when name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase) => RequestField.ForwardedHost,
        // The client's choice of thinking mode for the proxy (Api/ResponsePolicy.cs): consumed here, never the upstream's.
        16 when name.Equals("X-Reasoning-Mode", StringComparison.OrdinalIgnoreCase) => RequestField.Skip,
        17 when name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase) => RequestField.ForwardedProto,
        12 when name.Equals(HeaderNames.RequestId, StringComparison.OrdinalIgnoreCase) => RequestField.RequestId,
        _ when HopByHop.IsHopByHop(name) => RequestField.Skip,
        _ when name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) => RequestField.Content,
        _ => RequestField.Request,
    };

    /// <summary>
    /// <c>for=</c> and the node of <paramref name="address"/>, the Forwarded value of a client that sent none. A thread
    /// keeps the last one: it is the same request after request on a connection, and across connections from one
    /// address (a load balancer in front), so it is not built again each time.
    /// </summary>
    private static string ForwardedFor(string address)
    {
        if (t_lastForwardedFor is { } last && string.Equals(address, t_lastAddress, StringComparison.Ordinal))
        {
            return last;
        }

        var value = "for=" + ForwardedNode(address);
        t_lastAddress = address;
        t_lastForwardedFor = value;
        return value;
    }

    /// <summary>
    /// RFC 7239 §6: node = nodename [ ":" node-port ]; an IPv6 nodename is bracketed, and then the value must be a quoted
    /// string (":" is no token character, RFC 7239 §4). A zone id (%eth0) is not part of the grammar and is dropped.
    /// </summary>
    private static string ForwardedNode(string address)
    {
        if (!address.Contains(':', StringComparison.Ordinal))
        {
            return address;
        }

        var zone = address.IndexOf('%', StringComparison.Ordinal);
        return "\"[" + (zone < 0 ? address : address[..zone]) + "]\"";
    }

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
