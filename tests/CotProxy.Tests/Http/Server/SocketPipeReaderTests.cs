using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using CotProxy.Http.Server;
using CotProxy.Tests.Support;
using CsCheck;

namespace CotProxy.Tests.Http.Server;

/// <summary>
/// The client connection's input over a real loopback socket pair: every byte is read once and in order whatever the
/// pieces and the consumer's AdvanceTo pattern, a read after examining everything waits for new bytes, cancellation
/// (CancelPendingRead, a token) ends a wait and leaves the reader usable, the peer's FIN and reset show as the
/// connection expects, and an idle reader holds no block.
/// </summary>
public sealed class SocketPipeReaderTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadAsync_RandomPiecesAndAdvancePatterns_EveryByteOnceInOrder()
    {
        // Up to several blocks, sent in random pieces; the consumer's choices (consume and examine how much) come from the seed.
        var gen = Gen.Select(Gen.Byte.Array[1, 20_000], Gen.Int[1, 6000].Array[1, 8], Gen.Int);
        await gen.SampleAsync(async input =>
        {
            var (data, pieces, seed) = input;
            using var pair = await SocketPair.OpenAsync();
            var reader = new SocketPipeReader(pair.Server);
            var sending = SendInPiecesAsync(pair.Client, data, pieces);
            var random = new Random(seed);
            var received = new List<byte>(data.Length);
            while (true)
            {
                var result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
                var buffer = result.Buffer;
                if (buffer.IsEmpty && result.IsCompleted)
                {
                    break;
                }

                // At the end of the stream every read returns at once: consume at least a byte so the loop ends.
                var consumed = random.Next(result.IsCompleted ? 1 : 0, (int)buffer.Length + 1);
                var examined = random.Next(2) == 0 ? buffer.Length : random.Next(consumed, (int)buffer.Length + 1);
                received.AddRange(buffer.Slice(0, consumed).ToArray());
                reader.AdvanceTo(buffer.GetPosition(consumed), buffer.GetPosition(examined));
            }

            await sending;
            var heldAtEnd = reader.HeldBlocks;
            reader.Complete();
            return heldAtEnd == 0 && received.ToArray().AsSpan().SequenceEqual(data);
        }, iter: 60);
    }

    [Fact]
    public async Task ReadAsync_AfterExaminingEverything_WaitsForNewBytes()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        await pair.Client.SendAsync("GET / HT"u8.ToArray());

        var first = await ReadAtLeastAsync(reader, 8);
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        var next = reader.ReadAsync().AsTask();
        await Task.Delay(200);
        Assert.False(next.IsCompleted, "Everything was examined: the read must wait for new bytes, not return the same ones.");

        await pair.Client.SendAsync("TP/1.1\r\n"u8.ToArray());
        var result = await next.WaitAsync(s_timeout);
        Assert.Equal("GET / HTTP/1.1\r\n"u8.ToArray(), result.Buffer.ToArray());
    }

    [Fact]
    public async Task ReadAsync_NotEverythingExamined_ReturnsTheBufferedBytesAtOnce()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        await pair.Client.SendAsync("abcdef"u8.ToArray());

        var first = await ReadAtLeastAsync(reader, 6);
        reader.AdvanceTo(first.Buffer.GetPosition(2), first.Buffer.GetPosition(4));
        Assert.True(reader.TryRead(out var tried));
        Assert.Equal("cdef"u8.ToArray(), tried.Buffer.ToArray());
        reader.AdvanceTo(tried.Buffer.Start, tried.Buffer.Start);
        var again = reader.ReadAsync().AsTask();

        Assert.True(again.IsCompleted);
        Assert.Equal("cdef"u8.ToArray(), (await again).Buffer.ToArray());
    }

    [Fact]
    public async Task ReadAsync_ExaminedAllAcrossBlocks_BufferGrowsBySegments()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        var data = Enumerable.Range(0, 20_000).Select(i => (byte)(i * 7)).ToArray();
        await pair.Client.SendAsync(data);

        // As a head larger than a block is parsed: nothing consumed, everything examined, until all of it is there.
        var result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        while (result.Buffer.Length < data.Length)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        }

        Assert.False(result.Buffer.IsSingleSegment);
        Assert.Equal(data, result.Buffer.ToArray());
        Assert.True(reader.HeldBlocks >= 5, $"20000 bytes in 4 KiB blocks, got {reader.HeldBlocks}.");
        reader.AdvanceTo(result.Buffer.End);
        Assert.Equal(0, reader.HeldBlocks);
    }

    [Fact]
    public async Task CancelPendingRead_WhileWaiting_ReadIsCanceledAndTheNextReadGetsTheBytes()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        var waiting = reader.ReadAsync().AsTask();
        await Task.Delay(50);

        reader.CancelPendingRead();
        var canceled = await waiting.WaitAsync(s_timeout);
        Assert.True(canceled.IsCanceled);
        Assert.True(canceled.Buffer.IsEmpty);
        reader.AdvanceTo(canceled.Buffer.Start, canceled.Buffer.End);

        await pair.Client.SendAsync("after"u8.ToArray());
        var result = await ReadAtLeastAsync(reader, 5);
        Assert.False(result.IsCanceled);
        Assert.Equal("after"u8.ToArray(), result.Buffer.ToArray());
    }

    [Fact]
    public async Task CancelPendingRead_WhileWaitingWithAPartialHead_NextReadReturnsItAtOnceUnlessAllExamined()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        var waiting = await WaitAfterExaminingAsync(pair, reader, "GET / HT"u8.ToArray());

        reader.CancelPendingRead();
        var canceled = await waiting.WaitAsync(s_timeout);
        Assert.True(canceled.IsCanceled);
        Assert.Equal("GET / HT"u8.ToArray(), canceled.Buffer.ToArray());

        // As the connection does on a stop's cancel: nothing examined, so the next read hands the same bytes back at once.
        reader.AdvanceTo(canceled.Buffer.Start, canceled.Buffer.Start);
        var again = reader.ReadAsync().AsTask();
        Assert.True(again.IsCompleted);
        var result = await again;
        Assert.Equal("GET / HT"u8.ToArray(), result.Buffer.ToArray());

        // Examined all: the next read takes over the wait still on the socket and ends with the new bytes.
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        var next = reader.ReadAsync().AsTask();
        await pair.Client.SendAsync("TP/1.1\r\n"u8.ToArray());
        Assert.Equal("GET / HTTP/1.1\r\n"u8.ToArray(), (await next.WaitAsync(s_timeout)).Buffer.ToArray());
    }

    [Fact]
    public async Task CancelPendingRead_NoReadWaiting_NextReadIsCanceledWithTheBuffer()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        await pair.Client.SendAsync("held"u8.ToArray());
        var first = await ReadAtLeastAsync(reader, 4);
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);

        reader.CancelPendingRead();
        var reading = reader.ReadAsync().AsTask();

        Assert.True(reading.IsCompleted);
        var result = await reading;
        Assert.True(result.IsCanceled);
        Assert.Equal("held"u8.ToArray(), result.Buffer.ToArray());
    }

    [Fact]
    public async Task ReadAsync_TokenCancelledWhileWaiting_ThrowsAndTheReaderStaysUsable()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        using var source = new CancellationTokenSource();
        var waiting = reader.ReadAsync(source.Token).AsTask();
        await Task.Delay(50);

        source.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_timeout));

        // After a timeout the connection still reads (and discards) what the client sends before closing, as nginx lingers.
        await pair.Client.SendAsync("late"u8.ToArray());
        var result = await ReadAtLeastAsync(reader, 4);
        Assert.Equal("late"u8.ToArray(), result.Buffer.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadAsync_CancelledWhileWaiting_EndsOffTheCancellingThread(bool byToken)
    {
        // The heartbeat (a timeout) and the server's stop cancel every connection in turn: none may run a connection's
        // response to it inside that loop.
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        using var source = new CancellationTokenSource();
        var waiting = reader.ReadAsync(source.Token).AsTask();
        await Task.Delay(50);
        var cancelling = Environment.CurrentManagedThreadId;
        var insideCancel = false;
        var ended = waiting.ContinueWith(
            _ => Environment.CurrentManagedThreadId == cancelling && Volatile.Read(ref insideCancel),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        Volatile.Write(ref insideCancel, true);
        if (byToken)
        {
            source.Cancel();
        }
        else
        {
            reader.CancelPendingRead();
        }

        Volatile.Write(ref insideCancel, false);
        Assert.False(await ended.WaitAsync(s_timeout), "The cancelled read ended inline, on the thread that cancelled it.");
    }

    [Fact]
    public async Task ReadAsync_TokenAlreadyCancelled_Throws()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadAsync(new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task ReadAsync_PeerSendsThenFin_RemainingBytesWithIsCompleted()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        await pair.Client.SendAsync("last bytes"u8.ToArray());
        pair.Client.Shutdown(SocketShutdown.Send);

        var result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        while (!result.IsCompleted)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        }

        Assert.Equal("last bytes"u8.ToArray(), result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.End);
        var after = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.True(after.IsCompleted);
        Assert.True(after.Buffer.IsEmpty);
    }

    [Fact]
    public async Task ReadAsync_PeerResetsWhileWaiting_ThrowsIOExceptionAsNetworkStreamDoes()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        var waiting = reader.ReadAsync().AsTask();
        await Task.Delay(50);

        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close();

        var error = await Record.ExceptionAsync(() => waiting.WaitAsync(s_timeout));
        Assert.IsType<IOException>(error);
        Assert.IsType<SocketException>(error.InnerException);
    }

    [Fact]
    public async Task HeldBlocks_IdleOrWaiting_None()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        Assert.Equal(0, reader.HeldBlocks);

        // A thousand idle keep-alive connections must not pin 4 KiB each: the wait for the next request holds no block.
        var waiting = reader.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.Equal(0, reader.HeldBlocks);

        await pair.Client.SendAsync("request"u8.ToArray());
        var result = await waiting.WaitAsync(s_timeout);
        Assert.Equal(1, reader.HeldBlocks);
        reader.AdvanceTo(result.Buffer.End);
        Assert.Equal(0, reader.HeldBlocks);

        var next = reader.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.False(next.IsCompleted);
        Assert.Equal(0, reader.HeldBlocks);
        reader.Complete();
    }

    [Fact]
    public async Task Complete_WhileAReadWaits_ReadEndsWithIsCompletedAndBlocksGoBack()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        var waiting = await WaitAfterExaminingAsync(pair, reader, "partial head"u8.ToArray());

        reader.Complete();

        var result = await waiting.WaitAsync(s_timeout);
        Assert.True(result.IsCompleted);
        Assert.Equal(0, reader.HeldBlocks);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.ReadAsync());
    }

    [Fact]
    public async Task Complete_RightAfterCancelPendingRead_TheReadEndsAndBlocksGoBack()
    {
        // A graceful stop cancels the connection's watch read, and the connection completes the reader at once.
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        var waiting = await WaitAfterExaminingAsync(pair, reader, "partial head"u8.ToArray());

        reader.CancelPendingRead();
        reader.Complete();

        var result = await waiting.WaitAsync(s_timeout);
        Assert.True(result.IsCanceled || result.IsCompleted);
        Assert.Equal(0, reader.HeldBlocks);
    }

    [Fact]
    public async Task ReadAsync_SecondReadWhileOneWaits_Throws()
    {
        using var pair = await SocketPair.OpenAsync();
        var reader = new SocketPipeReader(pair.Server);
        _ = reader.ReadAsync().AsTask();
        await Task.Delay(50);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.ReadAsync());
        reader.Complete();
    }

    private static async Task<ReadResult> ReadAtLeastAsync(PipeReader reader, int count)
    {
        var result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        while (result.Buffer.Length < count && !result.IsCompleted)
        {
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        }

        return result;
    }

    private static async Task SendInPiecesAsync(Socket client, byte[] data, int[] pieces)
    {
        var offset = 0;
        for (var i = 0; offset < data.Length; i++)
        {
            var size = Math.Min(pieces[i % pieces.Length], data.Length - offset);
            offset += await client.SendAsync(data.AsMemory(offset, size));
            if (i % 3 == 1)
            {
                // A pause now and then, so some pieces find the reader waiting and others find it busy.
                await Task.Delay(1);
            }
        }

        client.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Sends <paramref name="sent"/>, reads and examines all of it, and starts the next read, which must wait for new bytes.</summary>
    private static async Task<Task<ReadResult>> WaitAfterExaminingAsync(SocketPair pair, SocketPipeReader reader, byte[] sent)
    {
        await pair.Client.SendAsync(sent);
        var first = await ReadAtLeastAsync(reader, sent.Length);
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        var waiting = reader.ReadAsync().AsTask();
        await Task.Delay(50);
        return waiting;
    }
}
