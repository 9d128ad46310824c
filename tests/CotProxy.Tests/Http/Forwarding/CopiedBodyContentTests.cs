using System.Runtime.InteropServices;
using CotProxy.Http.Forwarding;

namespace CotProxy.Tests.Http.Forwarding;

public sealed class CopiedBodyContentTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(64 * 1024)]
    [InlineData(3 * 1024 * 1024 + 17)]
    public async Task Serialize_AnyBody_SendsItsBytesWithoutHandingOutItsArray(int length)
    {
        var array = new byte[length + 10];
        new Random(length).NextBytes(array);
        var body = array.AsMemory(5, length);
        var sink = new RecordingStream();

        using var content = new CopiedBodyContent(body);
        await content.CopyToAsync(sink);

        Assert.Equal(length, content.Headers.ContentLength);
        Assert.True(body.Span.SequenceEqual(sink.Written.ToArray()), "the bytes sent differ from the body");
        // The socket under the stream keeps the last buffer it was given: it must never be the body's own array.
        Assert.DoesNotContain(sink.Arrays, a => ReferenceEquals(a, array));
        Assert.All(sink.Counts, count => Assert.True(count <= 64 * 1024, $"a write of {count} bytes"));
    }

    /// <summary>Keeps what was written and which arrays the writes came from.</summary>
    private sealed class RecordingStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public List<byte[]?> Arrays { get; } = [];

        public List<int> Counts { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written.Length;

        public override long Position { get => Written.Position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Arrays.Add(MemoryMarshal.TryGetArray(buffer, out var segment) ? segment.Array : null);
            Counts.Add(buffer.Length);
            Written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
