using System.Buffers;
using System.Runtime.CompilerServices;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Copies an upstream body to the client: byte for byte, or through a rewriter as it streams, or rewritten whole.
/// Every upstream read is bounded by API_REQUEST_TIMEOUT. A stream's bytes are sent when the next read would wait (or
/// once <see cref="MaxUnflushedBytes"/> gathered), so none waits behind a quiet upstream.
/// </summary>
internal static class BodyCopier
{
    private const int LargeReadSize = 16 * 1024;

    // Socket completions run inline on the few epoll threads (Program.cs): the final step of a whole-body rewrite larger
    // than this moves to the thread pool, so that other connections' small requests are not kept waiting behind it.
    private const int InlineRewriteBytes = 64 * 1024;

    // What was written goes out when the upstream makes the copy wait (below), or once this much gathered: bytes that
    // arrived together leave in one send, and none waits behind a quiet upstream.
    private const int MaxUnflushedBytes = 64 * 1024;

    /// <summary>
    /// Byte for byte: each upstream read lands straight in the client's output buffer. An event stream's bytes (the head
    /// first) are sent when the next read would wait, so events the upstream had ready leave together; any other body's
    /// after each read, its first read joining the head. An event stream waits for bytes before it takes a buffer, so
    /// an idle one (a model thinking for minutes) holds none, however large its reads.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask CopyUnchangedAsync(HttpContext context, Stream body, Deadline timeout, TimeSpan readTimeout, bool waitBeforeRenting, IBodyObserver? observer = null)
    {
        var response = context.Response;
        var wait = waitBeforeRenting;
        // A body of known length ends with its last byte: no further read is needed to see the end (SocketsHttpHandler
        // returns the connection to its pool on the read that consumed that byte), and CompleteAsync sends what is left.
        while (!response.IsBodyComplete)
        {
            timeout.CancelAfter(readTimeout);
            // A body of known length goes out with its head in one send; one of unknown length may take long to start
            // (a model thinking), so its head leaves at once unless the first bytes are already there.
            if (wait || (response.UnflushedBytes > 0 && (waitBeforeRenting || !response.IsLengthKnown)))
            {
                // A zero-byte read waits for data without holding a buffer: an idle stream (a model thinking) costs no
                // output memory. Only a wait that does not end at once sends what is written first.
                await SendThenReadAsync(context, body.ReadAsync(Memory<byte>.Empty, timeout.Token));
            }

            var memory = response.GetBodyMemory(LargeReadSize);
            var read = await ReadOrThrowAsync(body.ReadAsync(memory, timeout.Token), context);
            if (read == 0)
            {
                return;
            }

            observer?.Observe(context, memory.Span[..read]);
            response.AdvanceBody(read);
            if (response.IsBodyComplete)
            {
                return;
            }

            if (!waitBeforeRenting || response.UnflushedBytes >= MaxUnflushedBytes)
            {
                await response.FlushAsync(context.Aborted);
            }

            // A full read means more is likely ready (a burst): the next read needs no wait for it, only, as above, one
            // that tells whether what is written must be sent first.
            wait = waitBeforeRenting && read < memory.Length;
        }
    }

    /// <summary>Awaits an upstream read; when it cannot end at once, what is written goes to the client before the wait.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> SendThenReadAsync(HttpContext context, ValueTask<int> read)
    {
        if (!read.IsCompleted)
        {
            await context.Response.FlushAsync(context.Aborted);
        }

        return await ReadOrThrowAsync(read, context);
    }

    /// <summary>
    /// <see cref="SendThenReadAsync"/> for a read that waits inside a hidden thought: while it waits, a keep-alive every
    /// interval of <paramref name="keepAliveWait"/>. The copy alone writes, and only here between reads, where the output
    /// stands between two events.
    /// </summary>
    private static async ValueTask<int> ReadWithKeepAlivesAsync(HttpContext context, ValueTask<int> read, IBodyRewriter rewriter, KeepAliveWait keepAliveWait)
    {
        var response = context.Response;
        await response.FlushAsync(context.Aborted);
        keepAliveWait.Watch(read);
        while (!await keepAliveWait.WaitAsync())
        {
            try
            {
                // The upstream is quiet and the thought is hidden: a comment keeps the client's read timeout from firing.
                using var output = new PooledByteBuffer(64);
                if (rewriter.TryWriteKeepAlive(output))
                {
                    SendWithoutFlush(response, output);
                    await response.FlushAsync(context.Aborted);
                }
            }
            catch
            {
                keepAliveWait.Abandon();
                throw;
            }

            keepAliveWait.KeepAliveSent();
        }

        return await ReadOrThrowAsync(keepAliveWait.TakeRead(), context);
    }

    /// <summary>
    /// Through <paramref name="rewriter"/>, read by read; while the upstream is quiet inside a hidden thought, a keep-alive
    /// every <paramref name="keepAlive"/> if the rewriter has one. A wait is a zero-byte read, and the read and output
    /// buffers are rented only once bytes are there and returned after they are written, so an idle stream (a model
    /// thinking for minutes) holds no buffer, as in <see cref="CopyUnchangedAsync"/>; only after a full read (a burst: more
    /// is likely ready) the next read goes at once. What is written goes to the client when a read does not complete at
    /// once, which is also when the keep-alive interval starts (<see cref="KeepAliveWait"/>).
    /// </summary>
    public static async Task CopyRewrittenAsync(HttpContext context, Stream body, IBodyRewriter rewriter, Deadline timeout, TimeSpan readTimeout, TimeSpan keepAlive)
    {
        var response = context.Response;
        KeepAliveWait? keepAliveWait = null;
        var burst = false;
        while (true)
        {
            // Armed once per read: keep-alives sent while it waits do not extend it (README: each silence in the body).
            timeout.CancelAfter(readTimeout);
            var buffer = burst ? ArrayPool<byte>.Shared.Rent(LargeReadSize) : null;
            var next = body.ReadAsync(buffer is null ? Memory<byte>.Empty : buffer.AsMemory(0, LargeReadSize), timeout.Token);
            if (!next.IsCompleted)
            {
                // The upstream makes the copy wait: the rewriter's buffers that hold nothing go back meanwhile.
                rewriter.ReleaseIdleBuffers();
            }

            // Only a wait inside a hidden thought can need a keep-alive; it allocates nothing per wait either.
            var got = next.IsCompleted || keepAlive <= TimeSpan.Zero || !rewriter.WantsKeepAlive
                ? await SendThenReadAsync(context, next)
                : await ReadWithKeepAlivesAsync(context, next, rewriter, keepAliveWait ??= new KeepAliveWait(timeout, keepAlive));

            // After a wait, bytes are there (or the body ended): only now a buffer.
            var read = buffer is null
                ? await ReadAndRewriteAsync(context, body, rewriter, timeout)
                : await RewriteAsync(context, rewriter, buffer, got);
            if (read == 0)
            {
                break;
            }

            if (rewriter.FailureReason is { } reason)
            {
                // The rewriter ended the stream with its own error event; nothing after it may reach the client.
                Log.Warn($"{context.Request.Method} {Log.Target(context.Request.Target)}: {reason}", context.RequestId);
                return;
            }

            burst = read == LargeReadSize;
        }

        using var rest = new PooledByteBuffer(256);
        rewriter.Complete(rest);
        SendWithoutFlush(response, rest);
    }

    /// <summary>One read through the rewriter, written out (flushed only past the gathering limit); the bytes read, 0 when the body has ended.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> ReadAndRewriteAsync(HttpContext context, Stream body, IBodyRewriter rewriter, Deadline timeout)
    {
        // Rented after the wait, so only while bytes are there: its size costs an idle stream nothing.
        var buffer = ArrayPool<byte>.Shared.Rent(LargeReadSize);
        int read;
        try
        {
            read = await ReadOrThrowAsync(body.ReadAsync(buffer.AsMemory(0, LargeReadSize), timeout.Token), context);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return await RewriteAsync(context, rewriter, buffer, read);
    }

    /// <summary>Writes <paramref name="read"/> bytes of <paramref name="buffer"/> through the rewriter and returns the buffer to the pool.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> RewriteAsync(HttpContext context, IBodyRewriter rewriter, byte[] buffer, int read)
    {
        try
        {
            if (read == 0)
            {
                return 0;
            }

            using var output = new PooledByteBuffer(read + 256);
            rewriter.Write(buffer.AsSpan(0, read), output);
            SendWithoutFlush(context.Response, output);
            if (context.Response.UnflushedBytes >= MaxUnflushedBytes)
            {
                await context.Response.FlushAsync(context.Aborted);
            }

            return read;
        }
        finally
        {
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
        catch (InvalidDataException ex) when (!context.Aborted.IsCancellationRequested)
        {
            // The decompressor found bytes that are not its format: the upstream's fault, and nothing was sent yet.
            return new UpstreamFailure(ForwarderError.UndecodableBody, target, ex);
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
            Log.Warn($"{context.Request.Method} {Log.Target(context.Request.Target)}: upstream went silent longer than API_REQUEST_TIMEOUT mid-body; closing the client connection.", context.RequestId);
            throw;
        }
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
