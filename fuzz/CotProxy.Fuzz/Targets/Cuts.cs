using System.Buffers;

namespace CotProxy.Fuzz.Targets;

/// <summary>Where an input is cut into the pieces a socket might deliver, chosen by one byte of the input.</summary>
internal static class Cuts
{
    /// <summary>Ascending cut offsets inside [1, length): none, every byte, a fixed stride, or pseudo-random strides.</summary>
    public static List<int> Plan(int length, int seed)
    {
        var cuts = new List<int>();
        var stride = (seed >> 2) + 1;
        var random = new Random(seed);
        var at = 0;
        while (true)
        {
            at += (seed & 3) switch
            {
                0 => length,
                1 => 1,
                2 => stride,
                _ => random.Next(1, 2 * stride + 1),
            };
            if (at >= length)
            {
                return cuts;
            }

            cuts.Add(at);
        }
    }

    /// <summary>The bytes [start, end) of <paramref name="input"/> as a sequence whose segments break at each cut.</summary>
    public static ReadOnlySequence<byte> Sequence(byte[] input, int start, int end, List<int> cuts)
    {
        Segment? first = null;
        Segment? last = null;
        var from = start;
        foreach (var cut in cuts)
        {
            if (cut <= from || cut >= end)
            {
                continue;
            }

            last = new Segment(input.AsMemory(from, cut - from), last);
            first ??= last;
            from = cut;
        }

        last = new Segment(input.AsMemory(from, end - from), last);
        first ??= last;
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
