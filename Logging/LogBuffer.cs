namespace CotProxy.Logging;

/// <summary>
/// Log lines waiting to be written, as UTF-8 bytes in one growable array. Any thread appends a whole line under a short
/// lock; the writer takes everything at once and writes it in one call. Past <see cref="MaxBytes"/> lines are dropped
/// and counted, so a stalled stdout cannot make the proxy's memory grow without bound.
/// </summary>
internal sealed class LogBuffer
{
    // A quiet proxy's batch fits in this; a burst grows the array, and the writer hands back a fresh small one afterwards.
    private const int InitialBytes = 16 * 1024;

    // Batches up to this size keep their array (10 ms of 30 000 lines a second is about 30 KB).
    private const int KeepBytes = 256 * 1024;

    // A Lock rather than a plain object: its own fast path, without Monitor's look-up of the object's lock (an append
    // went from about 210 to 165 instructions: bench/RESULTS.md, 2026-12-05 session 2).
    private readonly Lock _gate = new();
    private byte[] _bytes = new byte[InitialBytes];
    private int _length;
    private long _dropped;

    public LogBuffer(int maxBytes = 4 * 1024 * 1024)
    {
        MaxBytes = maxBytes;
    }

    public int MaxBytes { get; }

    /// <summary>Appends one line (which must end with a newline); true when the buffer was empty before, so the writer must be woken.</summary>
    public bool Append(ReadOnlySpan<byte> line)
    {
        lock (_gate)
        {
            var needed = _length + line.Length;
            if (needed > MaxBytes)
            {
                // The writer must still hear of a drop into an empty buffer, so the count gets reported.
                _dropped++;
                return _length == 0 && _dropped == 1;
            }

            if (needed > _bytes.Length)
            {
                Grow(needed);
            }

            line.CopyTo(_bytes.AsSpan(_length));
            _length += line.Length;
            return _length == line.Length;
        }
    }

    /// <summary>
    /// Takes every pending byte: <paramref name="spare"/> (an empty array the caller owns) becomes the buffer, and the
    /// filled array is returned with its length and the number of lines dropped since the last take.
    /// </summary>
    public byte[] Take(byte[] spare, out int length, out long dropped)
    {
        lock (_gate)
        {
            var filled = _bytes;
            length = _length;
            dropped = _dropped;
            _bytes = spare;
            _length = 0;
            _dropped = 0;
            return filled;
        }
    }

    /// <summary>
    /// An array for the next <see cref="Take"/>: the one just written, so a busy proxy's batches stop reallocating once
    /// grown, unless a rare burst made it large.
    /// </summary>
    public static byte[] Recycle(byte[] written) => written.Length > KeepBytes ? new byte[InitialBytes] : written;

    private void Grow(int needed)
    {
        var bigger = new byte[Math.Min(MaxBytes, Math.Max(needed, _bytes.Length * 2))];
        _bytes.AsSpan(0, _length).CopyTo(bigger);
        _bytes = bigger;
    }
}
