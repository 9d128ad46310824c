using System.Buffers;
using System.Runtime.CompilerServices;
using CotProxy.Api;
using CotProxy.Filtering;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Sends an upstream response to the client: status and end-to-end headers, then the body — byte for byte, or
/// through a response rewriter (streams event by event; a whole JSON body is rewritten once complete and sent with
/// its new Content-Length). Every upstream read is written and flushed at once.
/// </summary>
internal static class ResponseStreamer
{
    private const int ReadBufferSize = 16 * 1024;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask CopyAsync(HttpContext context, HttpResponseMessage upstream, Deadline timeout, TimeSpan readTimeout, ForwardOptions? forward)
    {
        var response = context.Response;
        // The raw value: parsing it into a MediaTypeHeaderValue costs more than the one look at its media type needs.
        var contentType = upstream.Content.Headers.NonValidated.TryGetValues("Content-Type", out var values) ? values.ToString() : null;
        var isEventStream = MediaType.Is(contentType, "text/event-stream");

        response.Headers.Clear();
        Forwarder.CopyHeaders(upstream, response.Headers);
        if (isEventStream)
        {
            // Intermediaries (nginx among them) must not buffer or cache an event stream.
            SetHeader(response.Headers, "Cache-Control", "no-cache");
            SetHeader(response.Headers, "X-Accel-Buffering", "no");
        }

        if (Log.DebugEnabled)
        {
            DebugLog.Response(context, (int)upstream.StatusCode, response.Headers);
        }

        using var rewriter = CreateRewriter(context, upstream, contentType, forward);
        if (rewriter is not null && MediaType.IsJson(contentType))
        {
            await RewriteWholeAsync(context, upstream, rewriter, timeout, readTimeout);
            return;
        }

        // A rewritten stream has a new length, unknown until it ends: it goes out chunked.
        var contentLength = rewriter is null ? upstream.Content.Headers.ContentLength : null;
        response.Start((int)upstream.StatusCode, contentLength);
        if (context.Request.IsHead)
        {
            return;
        }

        // A body of unknown length may take long to start (a model thinking): its headers go out at once. A body of known
        // length goes out with its headers in one send.
        if (contentLength is null)
        {
            await response.FlushAsync(context.Aborted);
        }

        await using var body = await upstream.Content.ReadAsStreamAsync(context.Aborted);

        // Event streams arrive a few hundred bytes at a time and may idle for minutes: small reads keep thousands of them cheap.
        var readSize = isEventStream ? 4096 : ReadBufferSize;
        if (rewriter is null)
        {
            await CopyUnchangedAsync(context, body, timeout, readTimeout, readSize, waitBeforeRenting: isEventStream);
        }
        else
        {
            await CopyRewrittenAsync(context, body, rewriter, timeout, readTimeout, readSize, isEventStream ? forward?.ThinkKeepAlive ?? TimeSpan.Zero : TimeSpan.Zero);
        }

        await response.CompleteAsync(context.Aborted);
    }

    /// <summary>
    /// Byte for byte: each upstream read lands straight in the client's output buffer and is flushed at once. Reads
    /// start small and grow while the upstream has more ready than they hold (a burst), then shrink again.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask CopyUnchangedAsync(HttpContext context, Stream body, Deadline timeout, TimeSpan readTimeout, int readSize, bool waitBeforeRenting)
    {
        var response = context.Response;
        var size = readSize;
        var wait = waitBeforeRenting;
        // A body of known length ends with its last byte: no further read is needed to see the end (SocketsHttpHandler
        // returns the connection to its pool on the read that consumed that byte), and CompleteAsync sends what is left.
        while (!response.IsBodyComplete)
        {
            timeout.CancelAfter(readTimeout);
            if (wait)
            {
                // A zero-byte read waits for data without holding a buffer: an idle stream (a model thinking) costs no output memory.
                await ReadOrThrowAsync(body.ReadAsync(Memory<byte>.Empty, timeout.Token), context);
            }

            var memory = response.GetBodyMemory(size);
            var read = await ReadOrThrowAsync(body.ReadAsync(memory, timeout.Token), context);
            if (read == 0)
            {
                return;
            }

            response.AdvanceBody(read);
            if (response.IsBodyComplete)
            {
                return;
            }

            await response.FlushAsync(context.Aborted);

            var burst = read == memory.Length;
            size = burst ? ReadBufferSize : readSize;
            wait = waitBeforeRenting && !burst;
        }
    }

    private static async Task CopyRewrittenAsync(HttpContext context, Stream body, IResponseRewriter rewriter, Deadline timeout, TimeSpan readTimeout, int readSize, TimeSpan keepAlive)
    {
        var response = context.Response;
        var buffer = ArrayPool<byte>.Shared.Rent(readSize);
        using var output = new PooledByteBuffer(readSize);
        Task<int>? pendingRead = null;
        Task? keepAliveTimer = null;
        try
        {
            while (true)
            {
                int read;
                if (keepAlive > TimeSpan.Zero)
                {
                    if (pendingRead is null)
                    {
                        timeout.CancelAfter(readTimeout);
                        pendingRead = body.ReadAsync(buffer, timeout.Token).AsTask();
                    }

                    keepAliveTimer ??= Task.Delay(keepAlive, context.Aborted);
                    if (!pendingRead.IsCompleted && await Task.WhenAny(pendingRead, keepAliveTimer) == keepAliveTimer)
                    {
                        // The upstream is quiet and, maybe, the thought is hidden: a comment keeps the client's read timeout from firing.
                        keepAliveTimer = null;
                        if (rewriter.TryWriteKeepAlive(output))
                        {
                            await SendAsync(response, output, context.Aborted);
                        }

                        continue;
                    }

                    read = await ReadOrThrowAsync(new ValueTask<int>(pendingRead), context);
                    pendingRead = null;
                }
                else
                {
                    timeout.CancelAfter(readTimeout);
                    read = await ReadOrThrowAsync(body.ReadAsync(buffer, timeout.Token), context);
                }

                if (read == 0)
                {
                    break;
                }

                rewriter.Write(buffer.AsSpan(0, read), output);
                await SendAsync(response, output, context.Aborted);
            }

            rewriter.Complete(output);
            SendWithoutFlush(response, output);
        }
        finally
        {
            if (pendingRead is not null)
            {
                // The read is abandoned with the response; observe it so its failure is not unobserved.
                _ = pendingRead.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static IResponseRewriter? CreateRewriter(HttpContext context, HttpResponseMessage upstream, string? contentType, ForwardOptions? forward)
    {
        if (forward?.Rewrite is not { } options || context.Request.IsHead || (int)upstream.StatusCode is < 200 or >= 300)
        {
            return null;
        }

        // The proxy asked for identity; an upstream that encodes anyway is passed untouched rather than corrupted.
        if (upstream.Content.Headers.ContentEncoding.Count > 0 && !upstream.Content.Headers.ContentEncoding.All(e => e.Equals("identity", StringComparison.OrdinalIgnoreCase)))
        {
            Log.Warn($"{context.Request.Method} {Log.SafeText(context.Request.Target, 200)}: upstream sent Content-Encoding {string.Join(",", upstream.Content.Headers.ContentEncoding)} despite Accept-Encoding: identity; response passed unfiltered.");
            return null;
        }

        return ContentTypeFraming.Of(contentType) is { } framing ? ResponseRewriterFactory.Create(framing, options) : null;
    }

    private static async Task RewriteWholeAsync(HttpContext context, HttpResponseMessage upstream, IResponseRewriter rewriter, Deadline timeout, TimeSpan readTimeout)
    {
        using var output = new PooledByteBuffer(ReadBufferSize);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            await using var body = await upstream.Content.ReadAsStreamAsync(context.Aborted);
            while (true)
            {
                timeout.CancelAfter(readTimeout);
                var read = await ReadOrThrowAsync(body.ReadAsync(buffer, timeout.Token), context);
                if (read == 0)
                {
                    break;
                }

                rewriter.Write(buffer.AsSpan(0, read), output);
            }

            rewriter.Complete(output);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        context.Response.Start((int)upstream.StatusCode, output.Length);
        context.Response.Write(output.WrittenSpan);
        await context.Response.CompleteAsync(context.Aborted);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> ReadOrThrowAsync(ValueTask<int> read, HttpContext context)
    {
        try
        {
            return await read;
        }
        catch (OperationCanceledException) when (!context.Aborted.IsCancellationRequested)
        {
            Log.Warn($"{context.Request.Method} {Log.SafeText(context.Request.Target, 200)}: upstream went silent longer than API_REQUEST_TIMEOUT mid-body; closing the client connection.");
            throw;
        }
    }

    private static ValueTask<System.IO.Pipelines.FlushResult> SendAsync(HttpResponse response, PooledByteBuffer output, CancellationToken cancellationToken)
    {
        SendWithoutFlush(response, output);
        return response.FlushAsync(cancellationToken);
    }

    private static void SendWithoutFlush(HttpResponse response, PooledByteBuffer output)
    {
        if (output.Length > 0)
        {
            response.Write(output.WrittenSpan);
            output.Clear();
        }
    }

    private static void SetHeader(List<KeyValuePair<string, string>> headers, string name, string value)
    {
        headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        headers.Add(new(name, value));
    }
}
