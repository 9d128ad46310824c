using System.Buffers;
using System.Runtime.CompilerServices;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Copies an upstream body to the client: byte for byte, or through a rewriter as it streams, or rewritten whole.
/// Every upstream read is bounded by API_REQUEST_TIMEOUT and, when streaming, written and flushed at once.
/// </summary>
internal static class BodyCopier
{
    private const int LargeReadSize = 16 * 1024;

    // Socket completions run inline on the few epoll threads (Program.cs): the final step of a whole-body rewrite larger
    // than this moves to the thread pool, so that other connections' small requests are not kept waiting behind it.
    private const int InlineRewriteBytes = 64 * 1024;

    /// <summary>Event streams arrive a few hundred bytes at a time and may idle for minutes: small reads keep thousands of them cheap.</summary>
    public static int ReadSizeFor(bool isEventStream) => isEventStream ? 4096 : LargeReadSize;

    /// <summary>
    /// Byte for byte: each upstream read lands straight in the client's output buffer and is flushed at once. Reads
    /// start small and grow while the upstream has more ready than they hold (a burst), then shrink again.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask CopyUnchangedAsync(HttpContext context, Stream body, Deadline timeout, TimeSpan readTimeout, int readSize, bool waitBeforeRenting)
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
            size = burst ? LargeReadSize : readSize;
            wait = waitBeforeRenting && !burst;
        }
    }

    /// <summary>Through <paramref name="rewriter"/>, read by read; while the upstream is quiet, a keep-alive every <paramref name="keepAlive"/> if the rewriter has one.</summary>
    public static async Task CopyRewrittenAsync(HttpContext context, Stream body, IBodyRewriter rewriter, Deadline timeout, TimeSpan readTimeout, int readSize, TimeSpan keepAlive)
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

    /// <summary>
    /// Reads the whole body through <paramref name="rewriter"/> into <paramref name="output"/> before anything is sent.
    /// Nothing has reached the client yet, so a body that stops or breaks off is returned as a failure (504/502).
    /// </summary>
    public static async Task<UpstreamFailure?> RewriteWholeAsync(HttpContext context, Stream body, IBodyRewriter rewriter, PooledByteBuffer output, Uri target, Deadline timeout, TimeSpan readTimeout)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(LargeReadSize);
        try
        {
            long total = 0;
            while (true)
            {
                timeout.CancelAfter(readTimeout);
                var read = await body.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                // Each read is at most 16 KiB, so the rewriter's work per read is bounded wherever it runs.
                total += read;
                rewriter.Write(buffer.AsSpan(0, read), output);
            }

            if (total > InlineRewriteBytes)
            {
                // A whole-body rewriter may do most of its work at the end; never on an epoll thread for a large body.
                await Task.Yield();
            }

            rewriter.Complete(output);
            return null;
        }
        catch (Exception ex) when (!context.Aborted.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return UpstreamFailure.FromException(ex, target, timedOut: timeout.IsCancellationRequested, readingBody: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
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
}
