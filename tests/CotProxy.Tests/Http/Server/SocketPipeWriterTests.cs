using System.Net.Sockets;
using CotProxy.Http.Server;
using CotProxy.Tests.Support;
using CsCheck;

namespace CotProxy.Tests.Http.Server;

/// <summary>
/// The client connection's output over a real loopback socket pair: every byte arrives once and in order whatever the
/// blocks and flushes, a flush the kernel cannot take at once is awaited instead of blocking the thread (an epoll thread
/// in the proxy), and blocks go back to the pool once sent.
/// </summary>
public sealed class SocketPipeWriterTests
{
    [Fact]
    public async Task Flush_WritesOfRandomSizesAcrossBlocks_ArriveOnceInOrder()
    {
        // Sizes up to a few blocks, several writes per flush: single sends, gathered sends and partly used blocks.
        var gen = Gen.Int[1, 9000].Array[1, 12].Array[1, 6];
        await gen.SampleAsync(async flushes =>
        {
            using var pair = await SocketPair.OpenAsync();
            var writer = new SocketPipeWriter(pair.Server);
            var expected = new List<byte>();
            var next = (byte)0;
            var reading = pair.ReadAllAsync();
            foreach (var writes in flushes)
            {
                foreach (var size in writes)
                {
                    var span = writer.GetSpan(size);
                    for (var i = 0; i < size; i++)
                    {
                        span[i] = next;
                        expected.Add(next);
                        next = (byte)((next * 31) + 7);
                    }

                    writer.Advance(size);
                }

                Assert.Equal(writes.Sum(), writer.UnflushedBytes);
                await writer.FlushAsync();
                Assert.Equal(0, writer.UnflushedBytes);
            }

            await writer.CompleteAsync();
            pair.Server.Shutdown(SocketShutdown.Send);
            var received = await reading.WaitAsync(TimeSpan.FromSeconds(30));
            return received.AsSpan().SequenceEqual(expected.ToArray());
        }, iter: 40);
    }

    [Fact]
    public async Task Flush_MoreThanTheKernelTakes_ReturnsPendingWithoutBlockingThenCompletesAsThePeerReads()
    {
        using var pair = await SocketPair.OpenAsync();
        var writer = new SocketPipeWriter(pair.Server);
        const int Size = 8 * 1024 * 1024;
        WriteMoreThanTheKernelTakes(pair, writer, Size);

        // A blocking send would never return here, since nobody reads yet: the call runs aside, bounded, to fail instead of hanging.
        var flush = await Task.Factory.StartNew(() => writer.FlushAsync().AsTask(), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(flush.IsCompleted, "8 MiB cannot fit the socket buffers: the flush must be left pending, not finished by blocking.");

        var received = await pair.ReadAllAsync(stopAfter: Size).WaitAsync(TimeSpan.FromSeconds(30));
        await flush.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Size, received.Length);
        Assert.Equal(0, writer.UnflushedBytes);
    }

    [Fact]
    public async Task Flush_PeerGone_ThrowsIOExceptionAsNetworkStreamDoes()
    {
        using var pair = await SocketPair.OpenAsync();
        var writer = new SocketPipeWriter(pair.Server);
        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close();
        await Task.Delay(50);

        var error = await Record.ExceptionAsync(async () =>
        {
            // The first send may still be taken by the kernel before the reset is seen; the next ones cannot.
            for (var i = 0; i < 20; i++)
            {
                writer.GetSpan(1000)[..1000].Fill(1);
                writer.Advance(1000);
                await writer.FlushAsync();
                await Task.Delay(10);
            }
        });

        Assert.IsType<IOException>(error);
        Assert.IsType<SocketException>(error.InnerException);
    }

    [Fact]
    public async Task Flush_PeerResetsWhileAFlushWaits_FlushFailsWithIOException()
    {
        using var pair = await SocketPair.OpenAsync();
        var writer = new SocketPipeWriter(pair.Server);
        WriteMoreThanTheKernelTakes(pair, writer, 8 * 1024 * 1024);

        var flush = writer.FlushAsync().AsTask();
        Assert.False(flush.IsCompleted);
        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close();

        var error = await Record.ExceptionAsync(() => flush.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsType<IOException>(error);
        Assert.IsType<SocketException>(error.InnerException);
    }

    [Fact]
    public async Task Complete_SendsWhatIsLeftAndRefusesMoreWrites()
    {
        using var pair = await SocketPair.OpenAsync();
        var writer = new SocketPipeWriter(pair.Server);
        "last words"u8.CopyTo(writer.GetSpan(10));
        writer.Advance(10);
        var reading = pair.ReadAllAsync();

        await writer.CompleteAsync();
        pair.Server.Shutdown(SocketShutdown.Send);

        Assert.Equal("last words"u8.ToArray(), await reading.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Throws<ObjectDisposedException>(() => writer.GetSpan(1));
    }

    /// <summary>Small socket buffers on both ends, then <paramref name="size"/> bytes written (not flushed): far more than they hold.</summary>
    private static void WriteMoreThanTheKernelTakes(SocketPair pair, SocketPipeWriter writer, int size)
    {
        pair.Server.SendBufferSize = 16 * 1024;
        pair.Client.ReceiveBufferSize = 16 * 1024;
        for (var written = 0; written < size;)
        {
            var span = writer.GetSpan(64 * 1024);
            var n = Math.Min(span.Length, size - written);
            span[..n].Fill((byte)'x');
            writer.Advance(n);
            written += n;
        }
    }
}
