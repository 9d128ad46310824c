using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CotProxy.Api;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Sends one client request to the upstream and streams the response back: headers both ways without hop-by-hop
/// fields, each upstream read written and flushed at once, errors mapped to OpenAI-shaped bodies.
/// </summary>
internal sealed class Forwarder
{
    private const int ReadBufferSize = 16 * 1024;

    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderOptions _options;
    private readonly UpstreamUriCache _uris;

    public Forwarder(HttpMessageInvoker invoker, ForwarderOptions options)
    {
        _invoker = invoker;
        _options = options;
        _uris = new UpstreamUriCache(options.TargetBaseUrl);
    }

    /// <summary>
    /// Forwards the request. <paramref name="bufferedBody"/> replaces the client's body when the proxy already read
    /// (and perhaps rewrote) it; otherwise the body streams through byte for byte.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ForwardAsync(HttpContext context, ReadOnlyMemory<byte>? bufferedBody, ForwardOptions? forward = null)
    {
        var target = _uris.Get(context.Request.Target);
        using var upstreamRequest = CreateRequest(context, HttpMethodFor(context.Request.Method), target, bufferedBody, forward, forwardClientBody: true);
        var timeout = context.ResetUpstreamTimeout();
        using var upstreamResponse = await SendAsync(context, upstreamRequest, timeout);
        if (upstreamResponse is not null)
        {
            await ResponseStreamer.CopyAsync(context, upstreamResponse, timeout, _options.ApiRequestTimeout, forward);
        }
    }

    /// <summary>
    /// GETs <paramref name="target"/> from the upstream with the client's headers and reads the whole body (at most
    /// <paramref name="maxBytes"/>). On a transport failure the client has already been answered and null is returned.
    /// </summary>
    public async Task<BufferedUpstreamResponse?> FetchAsync(HttpContext context, string target, int maxBytes)
    {
        var uri = _uris.Get(target);
        using var upstreamRequest = CreateRequest(context, HttpMethod.Get, uri, bufferedBody: null, new ForwardOptions { IdentityEncoding = true }, forwardClientBody: false);
        var timeout = context.ResetUpstreamTimeout();
        using var upstreamResponse = await SendAsync(context, upstreamRequest, timeout);
        if (upstreamResponse is null)
        {
            return null;
        }

        var declared = upstreamResponse.Content.Headers.ContentLength;
        if (declared > maxBytes)
        {
            await OpenAiError.WriteAsync(context.Response, 502, $"The upstream's answer to {target} is larger than {maxBytes} bytes.", "upstream_error", "upstream_body_too_large", context.Aborted);
            return null;
        }

        using var body = new PooledByteBuffer((int)(declared ?? 4096));
        try
        {
            await using var stream = await upstreamResponse.Content.ReadAsStreamAsync(context.Aborted);
            while (true)
            {
                timeout.CancelAfter(_options.ApiRequestTimeout);
                body.EnsureFree(4096);
                var read = await stream.ReadAsync(body.FreeMemory, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                body.Advance(read);
                if (body.Length > maxBytes)
                {
                    await OpenAiError.WriteAsync(context.Response, 502, $"The upstream's answer to {target} is larger than {maxBytes} bytes.", "upstream_error", "upstream_body_too_large", context.Aborted);
                    return null;
                }
            }
        }
        catch (Exception ex) when (!context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // Nothing was sent to the client yet, so a body that stops (silence) or breaks off is a 504/502, not a 500 or a bare close.
            var (status, message, code) = UpstreamFailure.Describe(ex, uri, _options, headersTimedOut: timeout.IsCancellationRequested);
            Log.Warn($"GET {uri}: {message}");
            await OpenAiError.WriteAsync(context.Response, status, message, OpenAiError.TypeFor(status), code, context.Aborted);
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>();
        CopyHeaders(upstreamResponse, headers);
        return new BufferedUpstreamResponse((int)upstreamResponse.StatusCode, headers, body.WrittenSpan.ToArray());
    }

    /// <summary>Sends and returns the response at its headers; on failure answers the client (502/504) and returns null.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpResponseMessage?> SendAsync(HttpContext context, HttpRequestMessage upstreamRequest, Deadline timeout)
    {
        var target = upstreamRequest.RequestUri!;
        timeout.CancelAfter(_options.ApiRequestTimeout);
        HttpResponseMessage upstreamResponse;
        try
        {
            upstreamResponse = await _invoker.SendAsync(upstreamRequest, timeout.Token);
        }
        catch (Exception ex) when (!context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
        {
            var headersTimedOut = timeout.IsCancellationRequested;
            var (status, message, code) = UpstreamFailure.Describe(ex, target, _options, headersTimedOut);
            Log.Warn($"{upstreamRequest.Method} {target}: {message}");
            await OpenAiError.WriteAsync(context.Response, status, message, OpenAiError.TypeFor(status), code, context.Aborted);
            return null;
        }

        if (HasAmbiguousFraming(upstreamResponse))
        {
            // SocketsHttpHandler does not reject both Content-Length and chunked, or two differing lengths (DESIGN.md): never pass that framing on.
            upstreamResponse.Dispose();
            var message = $"The upstream at {target.GetLeftPart(UriPartial.Authority)} sent a response with ambiguous framing (conflicting Content-Length / Transfer-Encoding).";
            Log.Warn(message);
            await OpenAiError.WriteAsync(context.Response, 502, message, "upstream_error", "upstream_bad_framing", context.Aborted);
            return null;
        }

        return upstreamResponse;
    }

    private static HttpRequestMessage CreateRequest(HttpContext context, HttpMethod method, Uri target, ReadOnlyMemory<byte>? bufferedBody, ForwardOptions? forward, bool forwardClientBody)
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
        string? forwardedFor = null;
        foreach (var (name, value) in request.Headers)
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
                case RequestField.AcceptEncoding when forward?.IdentityEncoding != true:
                case RequestField.Request:
                    // The parser already refused CR, LF and NUL in values (RFC 9110 §5.5), so nothing can be injected here.
                    message.Headers.TryAddWithoutValidation(name, value);
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
            message.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        }

        message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        if (request.Host is { Length: > 0 } host)
        {
            message.Headers.TryAddWithoutValidation("X-Forwarded-Host", host);
        }

        if (forward?.IdentityEncoding == true)
        {
            // A body the proxy rewrites must arrive as plain text, so it is never re-sent under a stale Content-Encoding.
            message.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
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

    /// <summary>The response's end-to-end headers (RFC 9110 §7.6.1: hop-by-hop ones and those its Connection names are dropped).</summary>
    internal static void CopyHeaders(HttpResponseMessage source, List<KeyValuePair<string, string>> destination)
    {
        // The raw Connection value: parsing it into a header value collection costs more than the one split it needs.
        var connection = HopByHop.NamedFields(source.Headers.NonValidated.TryGetValues("Connection", out var values) ? values.ToString() : null);
        CopyHeaders(source.Headers, connection, destination);
        CopyHeaders(source.Content.Headers, connection, destination);
    }

    private static void CopyHeaders(HttpHeaders source, string? connection, List<KeyValuePair<string, string>> destination)
    {
        foreach (var header in source.NonValidated)
        {
            if (HopByHop.IsHopByHop(header.Key)
                || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || HopByHop.IsNamedByConnection(header.Key, connection))
            {
                continue;
            }

            foreach (var value in header.Value)
            {
                destination.Add(new(header.Key, value));
            }
        }
    }

    private static bool HasAmbiguousFraming(HttpResponseMessage response)
    {
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var lengths))
        {
            return false;
        }

        // Read raw: parsing Transfer-Encoding into header objects costs more than this one look needs.
        if (response.Headers.NonValidated.TryGetValues("Transfer-Encoding", out var codings)
            && codings.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // The usual case: one Content-Length line holding one number.
        if (lengths.Count == 1 && !lengths.ToString().Contains(','))
        {
            return false;
        }

        // Every element of every Content-Length line must be the same number (RFC 9112 §6.3); compared as text, without copies.
        string? first = null;
        Range firstRange = default;
        foreach (var value in lengths)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                var element = value.AsSpan()[range].Trim();
                if (first is null)
                {
                    first = value;
                    firstRange = range;
                }
                else if (!element.SequenceEqual(first.AsSpan()[firstRange].Trim()))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static HttpMethod HttpMethodFor(string method) => method switch
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
}
