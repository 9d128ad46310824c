using System.Diagnostics;
using System.Runtime.CompilerServices;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Sends a client's request upstream through the one shared handler and copies the response back. Every failure
/// before the response starts is an <see cref="UpstreamFailure"/>, answered in the application's error shape; a
/// failure after it started closes the connection without the final chunk, so the client sees a truncated body.
/// </summary>
internal sealed class Forwarder
{
    private readonly HttpMessageInvoker _invoker;
    private readonly UpstreamOptions _options;
    private readonly IErrorResponseWriter _errors;
    private readonly UpstreamUriCache _uris;
    private readonly UpstreamMetrics? _metrics;

    /// <param name="invoker">The one shared handler.</param>
    /// <param name="options">Where the upstream is and how long to wait for it.</param>
    /// <param name="errors">The shape of the errors the client gets.</param>
    /// <param name="metrics">This upstream's numbers (time to the head and to the body's end, failures), if kept.</param>
    public Forwarder(HttpMessageInvoker invoker, UpstreamOptions options, IErrorResponseWriter errors, UpstreamMetrics? metrics = null)
    {
        _metrics = metrics;
        _invoker = invoker;
        _options = options;
        _errors = errors;
        _uris = new UpstreamUriCache(options.TargetBaseUrl);
        Gate = options.MaxConcurrent is { } max ? new ConcurrencyGate(max, options.MaxQueued ?? ConcurrencyGate.DefaultQueueFactor * max) : null;
    }

    public UpstreamOptions Options => _options;

    /// <summary>The upstream's name in the config file (<c>default</c> for TARGET_BASE_URL alone).</summary>
    public string Name => _options.Name;

    /// <summary>max_concurrent's slots and queue; null = no cap.</summary>
    public ConcurrencyGate? Gate { get; }

    /// <summary>The upstream URL of a client's request target (base URL joined as for forwarding).</summary>
    public Uri UriFor(string target) => _uris.Get(target);

    /// <summary>The one shared handler, for the proxy's own probes of the upstream (<see cref="UpstreamProbe"/>).</summary>
    public HttpMessageInvoker Invoker => _invoker;

    /// <summary>
    /// Forwards the request and copies the response. <paramref name="bufferedBody"/> replaces the client's body when the
    /// layer above already read (and perhaps rewrote) it; otherwise the body streams through byte for byte.
    /// <paramref name="transform"/>, when given, may rewrite a successful response's body; <paramref name="observer"/>, when
    /// given, reads a body that passes unchanged and unencoded. With <paramref name="failover"/>, a failed connect (nothing
    /// sent yet) is not answered: it is left there for the caller to try another upstream.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ForwardAsync(HttpContext context, ReadOnlyMemory<byte>? bufferedBody = null, ResponseTransform? transform = null, IBodyObserver? observer = null, ConnectFailover? failover = null)
    {
        // 1. The upstream request: the client's method, target and end-to-end headers, and its body.
        var target = _uris.Get(context.Request.Target);
        var method = UpstreamRequest.MethodFor(context.Request.Method);
        using var upstreamRequest = UpstreamRequest.Create(context, method, target, bufferedBody, identityEncoding: transform is not null, forwardClientBody: true, _options.TrustedProxies, _options.Credentials);

        // 2. Send it and wait for the response head (API_REQUEST_TIMEOUT). Awaited here, not in a helper: one async
        // state machine fewer per request.
        var timeout = context.ResetUpstreamTimeout();
        timeout.CancelAfter(_options.ApiRequestTimeout);
        HttpResponseMessage upstreamResponse;
        var sent = Stopwatch.GetTimestamp();
        try
        {
            upstreamResponse = await _invoker.SendAsync(upstreamRequest, timeout.Token);
        }
        catch (Exception ex) when (!context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
        {
            var failure = UpstreamFailure.FromException(ex, target, timedOut: timeout.IsCancellationRequested);
            if (failover is not null && failure.IsConnectFailure)
            {
                failover.Failure = failure;
                return;
            }

            await AnswerFailureAsync(context, method, failure);
            return;
        }

        _metrics?.TimeToFirstByte.ObserveSince(sent);
        using (upstreamResponse)
        {
            if (IsSwitchingProtocols(upstreamResponse))
            {
                await AnswerFailureAsync(context, method, new UpstreamFailure(ForwarderError.UnsolicitedUpgrade, target));
                return;
            }

            // 3. The status line's headers: the upstream's end-to-end ones, read with the response's framing in one pass.
            var head = CopyHead(context, upstreamResponse);
            if (head.HasAmbiguousFraming)
            {
                await AnswerFailureAsync(context, method, new UpstreamFailure(ForwarderError.AmbiguousFraming, target));
                return;
            }

            try
            {
                var contentType = head.ContentType;
                var isEventStream = MediaType.Is(contentType, "text/event-stream");
                if (context.Stats is { } stats)
                {
                    stats.Stream = isEventStream || MediaType.Is(contentType, "application/x-ndjson");
                }

                if (isEventStream)
                {
                    // Intermediaries (nginx among them) must not buffer or cache an event stream.
                    SetHeader(context.Response.Headers, "Cache-Control", "no-cache");
                    SetHeader(context.Response.Headers, "X-Accel-Buffering", "no");
                }

                if (Log.DebugEnabled)
                {
                    DebugLog.Response(context, (int)upstreamResponse.StatusCode, context.Response.Headers);
                }

                // 4. What the body goes through: nothing, a rewriter as it streams, or a rewriter over the whole body.
                var rewriter = ChooseRewriter(context, upstreamResponse, contentType, transform, out var wholeBody, out var decode, out var failure);
                if (failure is not null)
                {
                    await AnswerFailureAsync(context, method, failure);
                    return;
                }

                if (rewriter is not null && wholeBody)
                {
                    await CopyRewrittenWholeAsync(context, upstreamResponse, rewriter, decode, method, target, timeout);
                    return;
                }

                // 5. The body as it arrives. A rewritten one has a new length, unknown until it ends: it goes out chunked.
                var response = context.Response;
                var contentLength = rewriter is null ? head.ContentLength : null;
                response.Start((int)upstreamResponse.StatusCode, contentLength);
                if (context.Request.IsHead)
                {
                    return;
                }

                // The head goes out with the first body bytes when the upstream has them ready; a stream's, or a body's
                // of unknown length, alone before the copy waits for them (a model thinking). BodyCopier says when.
                await using var body = await ReadBodyAsync(upstreamResponse, decode, context.Aborted);
                if (rewriter is null)
                {
                    // Noted in the walk over the head: the parsed Content-Encoding collection costs an allocation and a parse per response.
                    var plain = observer is not null && !head.HasContentEncoding;
                    await BodyCopier.CopyUnchangedAsync(context, body, timeout, _options.ApiRequestTimeout, waitBeforeRenting: isEventStream, plain ? observer : null);
                }
                else
                {
                    var keepAlive = isEventStream ? transform!.KeepAliveInterval : TimeSpan.Zero;
                    await BodyCopier.CopyRewrittenAsync(context, body, rewriter, timeout, _options.ApiRequestTimeout, keepAlive);
                    if (rewriter.FailureReason is not null)
                    {
                        _metrics?.CountError(UpstreamFailure.KindOf(ForwarderError.ResponseBodyUnfilterable));
                    }
                }

                // 6. A clean end: the final chunk. (A failure above throws instead, and the connection closes without it.)
                await response.CompleteAsync(context.Aborted);
            }
            catch (Exception ex) when (CountBodyFailure(context, ex, target, timeout))
            {
                // Never taken: the filter only counts a failure of the upstream's body on its way out.
                throw;
            }
            finally
            {
                transform?.EndBody();
                observer?.Complete(context);
                _metrics?.Duration.ObserveSince(sent);
            }
        }
    }

    /// <summary>
    /// Counts a failure of the upstream's body after the response started (the client sees a truncated body), under the
    /// kind the failure map gives it; returns false, so the exception goes on as it was.
    /// </summary>
    private bool CountBodyFailure(HttpContext context, Exception ex, Uri target, Deadline timeout)
    {
        if (_metrics is not null && !context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
        {
            _metrics.CountError(UpstreamFailure.KindOf(UpstreamFailure.FromException(ex, target, timedOut: timeout.IsCancellationRequested, readingBody: true).Error));
        }

        return false;
    }

    /// <summary>
    /// GETs <paramref name="target"/> from the upstream with the client's headers and reads the whole body (at most
    /// <paramref name="maxBytes"/>). On a failure the client has already been answered and null is returned.
    /// </summary>
    public async Task<BufferedUpstreamResponse?> FetchAsync(HttpContext context, string target, int maxBytes)
    {
        var uri = _uris.Get(target);
        using var upstreamRequest = UpstreamRequest.Create(context, HttpMethod.Get, uri, bufferedBody: null, identityEncoding: true, forwardClientBody: false, _options.TrustedProxies, _options.Credentials);
        var timeout = context.ResetUpstreamTimeout();
        var (upstreamResponse, failure) = await SendAsync(context, upstreamRequest, timeout);
        if (upstreamResponse is null)
        {
            await AnswerFailureAsync(context, HttpMethod.Get, failure!);
            return null;
        }

        using (upstreamResponse)
        {
            var headers = new List<KeyValuePair<string, string>>();
            var head = UpstreamResponseHead.Read(upstreamResponse, headers);
            if (head.HasAmbiguousFraming)
            {
                await AnswerFailureAsync(context, HttpMethod.Get, new UpstreamFailure(ForwarderError.AmbiguousFraming, uri));
                return null;
            }

            var declared = head.ContentLength;
            using var body = new PooledByteBuffer((int)Math.Min(declared ?? 4096, maxBytes + 1L));
            failure = declared > maxBytes ? new UpstreamFailure(ForwarderError.ResponseBodyTooLarge, uri, limit: maxBytes) : null;
            try
            {
                await using var stream = await upstreamResponse.Content.ReadAsStreamAsync(context.Aborted);
                while (failure is null)
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
                        failure = new UpstreamFailure(ForwarderError.ResponseBodyTooLarge, uri, limit: maxBytes);
                    }
                }
            }
            catch (Exception ex) when (!context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
            {
                failure = UpstreamFailure.FromException(ex, uri, timedOut: timeout.IsCancellationRequested, readingBody: true);
            }

            if (failure is not null)
            {
                await AnswerFailureAsync(context, HttpMethod.Get, failure);
                return null;
            }

            return new BufferedUpstreamResponse((int)upstreamResponse.StatusCode, headers, body.WrittenSpan.ToArray());
        }
    }

    /// <summary>Asks the target base URL within the health timeout: null when it answers below 500, else why not.</summary>
    public async Task<string?> ProbeAsync(CancellationToken aborted)
    {
        var target = _options.TargetBaseUrl;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        timeout.CancelAfter(_options.HealthTimeout);
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, target);
            using var answer = await _invoker.SendAsync(probe, timeout.Token);
            return (int)answer.StatusCode is >= 500 or < 200 ? $"The target answered {(int)answer.StatusCode}." : null;
        }
        catch (Exception ex) when (!aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return timeout.IsCancellationRequested
                ? $"The target did not answer within {_options.HealthTimeout.TotalSeconds:0.#} s."
                : UpstreamFailure.FromException(ex, target, timedOut: false).Describe(_options).Message;
        }
    }

    /// <summary>Sends and returns the response at its head, or the failure.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(HttpResponseMessage? Response, UpstreamFailure? Failure)> SendAsync(HttpContext context, HttpRequestMessage upstreamRequest, Deadline timeout)
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
            return (null, UpstreamFailure.FromException(ex, target, timedOut: timeout.IsCancellationRequested));
        }

        if (IsSwitchingProtocols(upstreamResponse))
        {
            upstreamResponse.Dispose();
            return (null, new UpstreamFailure(ForwarderError.UnsolicitedUpgrade, target));
        }

        return (upstreamResponse, null);
    }

    /// <summary>
    /// SocketsHttpHandler reads past 100 Continue, 103 Early Hints and every other interim 1xx answer to the final one
    /// (RFC 9110 §15.2: a client must parse and may ignore unexpected 1xx), but hands a 101 back with the raw connection
    /// as its body. The proxy strips Upgrade as hop-by-hop (RFC 9110 §7.6.1, §7.8), so a 101 answers an upgrade nobody
    /// asked for (RFC 9110 §15.2.2): relaying it would hand the client a switched connection that never speaks again.
    /// </summary>
    private static bool IsSwitchingProtocols(HttpResponseMessage upstream) => upstream.StatusCode == System.Net.HttpStatusCode.SwitchingProtocols;

    private ValueTask AnswerFailureAsync(HttpContext context, HttpMethod method, UpstreamFailure failure)
    {
        var (status, message, code) = failure.Describe(_options);
        _metrics?.CountError(UpstreamFailure.KindOf(failure.Error));
        Log.Warn($"{method} {LogRedaction.Url(failure.Target)}: {message}", context.RequestId);
        return _errors.WriteErrorAsync(context.Response, status, message, code, context.Aborted);
    }

    private static UpstreamHead CopyHead(HttpContext context, HttpResponseMessage upstream)
    {
        var headers = context.Response.Headers;
        headers.Clear();
        return UpstreamResponseHead.Read(upstream, headers);
    }

    /// <summary>
    /// The transform's rewriter for a 2xx response with a body; null copies the body untouched. A body to rewrite that
    /// came compressed anyway is decoded (<paramref name="decode"/>); one in a coding the proxy cannot undo is a failure,
    /// never passed on unread.
    /// </summary>
    private static IBodyRewriter? ChooseRewriter(HttpContext context, HttpResponseMessage upstream, string? contentType, ResponseTransform? transform, out bool wholeBody, out bool decode, out UpstreamFailure? failure)
    {
        wholeBody = false;
        decode = false;
        failure = null;
        if (transform is null || context.Request.IsHead || (int)upstream.StatusCode is < 200 or >= 300)
        {
            return null;
        }

        var rewriter = transform.BeginBody(contentType, out wholeBody);
        var codings = upstream.Content.Headers.ContentEncoding;
        if (rewriter is null || ContentDecoding.IsIdentity(codings))
        {
            return rewriter;
        }

        if (!ContentDecoding.CanDecode(codings))
        {
            failure = new UpstreamFailure(ForwarderError.UnsupportedEncoding, upstream.RequestMessage!.RequestUri!, detail: string.Join(", ", codings));
            return null;
        }

        // The proxy asked for identity (Accept-Encoding); the body goes out decoded and rewritten, so the coding goes too.
        decode = true;
        context.Response.Headers.RemoveAll(h => h.Key.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase));
        return rewriter;
    }

    /// <summary>The whole body through the rewriter first, then sent with its new Content-Length.</summary>
    private async Task CopyRewrittenWholeAsync(HttpContext context, HttpResponseMessage upstream, IBodyRewriter rewriter, bool decode, HttpMethod method, Uri target, Deadline timeout)
    {
        using var output = new PooledByteBuffer(16 * 1024);
        UpstreamFailure? failure;
        await using (var body = await ReadBodyAsync(upstream, decode, context.Aborted))
        {
            failure = await BodyCopier.RewriteWholeAsync(context, body, rewriter, output, target, timeout, _options.ApiRequestTimeout);
            if (failure is { Error: ForwarderError.UndecodableBody })
            {
                failure = new UpstreamFailure(ForwarderError.UndecodableBody, target, failure.Exception, detail: string.Join(", ", upstream.Content.Headers.ContentEncoding));
            }
        }

        if (failure is null && rewriter.FailureReason is { } reason)
        {
            failure = new UpstreamFailure(ForwarderError.ResponseBodyUnfilterable, target, detail: reason);
        }

        if (failure is not null)
        {
            await AnswerFailureAsync(context, method, failure);
            return;
        }

        context.Response.Start((int)upstream.StatusCode, output.Length);
        context.Response.Write(output.WrittenSpan);
        await context.Response.CompleteAsync(context.Aborted);
    }

    private static Task<Stream> ReadBodyAsync(HttpResponseMessage upstream, bool decode, CancellationToken cancellationToken) =>
        decode ? ReadDecodedAsync(upstream, cancellationToken) : upstream.Content.ReadAsStreamAsync(cancellationToken);

    private static async Task<Stream> ReadDecodedAsync(HttpResponseMessage upstream, CancellationToken cancellationToken) =>
        ContentDecoding.Decode(await upstream.Content.ReadAsStreamAsync(cancellationToken), upstream.Content.Headers.ContentEncoding);

    private static void SetHeader(List<KeyValuePair<string, string>> headers, string name, string value)
    {
        headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        headers.Add(new(name, value));
    }
}
