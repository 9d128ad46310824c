namespace CotProxy.Tests.Integration.Thinking;

/// <summary>Cuts a body into the uneven pieces a real server's writes produce.</summary>
internal static class Pieces
{
    /// <summary>Random piece sizes in 1..<paramref name="maxPiece"/>, from a fixed seed so a failure can be replayed.</summary>
    public static List<byte[]> Uneven(byte[] body, int maxPiece, int seed = 7)
    {
        var random = new Random(seed);
        var pieces = new List<byte[]>();
        for (var offset = 0; offset < body.Length;)
        {
            var size = Math.Min(random.Next(1, maxPiece + 1), body.Length - offset);
            pieces.Add(body[offset..(offset + size)]);
            offset += size;
        }

        return pieces;
    }

    /// <summary>One piece per byte: every multi-byte character and every tag is split across writes.</summary>
    public static List<byte[]> Bytes(byte[] body) => [.. body.Select(b => new[] { b })];

    /// <summary>Fixture bodies go out in about 400 writes whatever their size, so a megabyte fixture stays fast.</summary>
    public static List<byte[]> ForFixture(byte[] body) => Uneven(body, Math.Max(64, body.Length / 200));
}
