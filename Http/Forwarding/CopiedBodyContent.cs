using System.Buffers;
using System.Net;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// A large buffered request body, sent upstream through a small pooled copy buffer instead of from its own array.
/// </summary>
/// <remarks>
/// A socket's reusable send arguments keep the last buffer they sent until the connection's next send. A heap dump of
/// an idle proxy (dotnet-dump gcroot) showed an idle pooled upstream connection holding a 30 MiB rewritten body that
/// way: each pooled connection kept its last large body alive for as long as it stayed idle. Sent through a pooled
/// 64 KiB array, the socket holds only that array. Bodies up to <see cref="MinBytes"/> are sent as they are: their
/// arrays come from the pool and are reused anyway, and a small one goes out in the same write as the request head.
/// </remarks>
internal sealed class CopiedBodyContent(ReadOnlyMemory<byte> body) : HttpContent
{
    /// <summary>Bodies larger than this, whose arrays are not pooled, are sent through the copy buffer.</summary>
    public const int MinBytes = PooledByteBuffer.MaxPooledBytes;

    private const int ChunkBytes = 64 * 1024;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (int offset = 0; offset < body.Length; offset += ChunkBytes)
            {
                int count = Math.Min(ChunkBytes, body.Length - offset);
                body.Span.Slice(offset, count).CopyTo(chunk);
                await stream.WriteAsync(chunk.AsMemory(0, count), cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
