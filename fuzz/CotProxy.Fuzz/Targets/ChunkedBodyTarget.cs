using System.Buffers;
using CotProxy.Http.Server;

namespace CotProxy.Fuzz.Targets;

/// <summary>
/// The chunked decoder (Http/Server/ChunkedDecoder) on arbitrary bytes: decoding the whole input at once must give the
/// same data, end and rejection as decoding it piece by piece with the unread bytes carried over, as RequestBody does.
/// A rejection (<see cref="HttpRejection"/>) is a documented result; any other exception is a crash.
/// </summary>
/// <remarks>Input: one byte (bit 0: small trailer limit; the rest: the cut plan), one byte for the most data one read may take, then the body.</remarks>
internal static class ChunkedBodyTarget
{
    private static readonly HttpLimits s_defaultLimits = new();
    private static readonly HttpLimits s_smallLimits = new() { MaxHeaderBytes = 64 };

    public static void Run(byte[] data)
    {
        if (data.Length < 2)
        {
            return;
        }

        var limits = (data[0] & 1) == 0 ? s_defaultLimits : s_smallLimits;
        long maxBytes = data[1] == 0 ? long.MaxValue : data[1];
        var input = data[2..];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var whole = Decode(input, [], maxBytes, limits);
        var pieces = Decode(input, Cuts.Plan(input.Length, data[0] >> 1), maxBytes, limits);
        FuzzTargets.CheckAllocation(allocatedBefore, input.Length, "decoding the body twice");
        if (whole != pieces)
        {
            throw new FuzzFailureException($"the body decoded differently when split:\nwhole: {whole}\npieces: {pieces}");
        }
    }

    private static string Decode(byte[] input, List<int> cuts, long maxBytes, HttpLimits limits)
    {
        var decoder = new ChunkedDecoder();
        decoder.Reset();
        var body = new ArrayBufferWriter<byte>();
        var consumed = 0;
        foreach (var end in cuts.Append(input.Length))
        {
            var reader = new SequenceReader<byte>(Cuts.Sequence(input, consumed, end, cuts));
            try
            {
                while (!decoder.IsComplete)
                {
                    var before = reader.Consumed;
                    var data = decoder.Read(ref reader, maxBytes, limits);
                    if (data.Length > maxBytes)
                    {
                        throw new FuzzFailureException($"a read returned {data.Length} bytes, more than the {maxBytes} asked for");
                    }

                    if (data.IsEmpty)
                    {
                        break;
                    }

                    if (reader.Consumed - before < data.Length)
                    {
                        throw new FuzzFailureException("a read returned more data than it consumed");
                    }

                    foreach (var segment in data)
                    {
                        body.Write(segment.Span);
                    }
                }
            }
            catch (HttpRejection rejection)
            {
                return Describe(body, $"rejected: {rejection.Reason}");
            }

            consumed += (int)reader.Consumed;
            if (decoder.IsComplete)
            {
                return Describe(body, $"complete, {consumed} bytes consumed");
            }
        }

        return Describe(body, "incomplete");
    }

    private static string Describe(ArrayBufferWriter<byte> body, string end) =>
        $"{end}; {body.WrittenCount} data bytes: {Convert.ToHexString(body.WrittenSpan[..Math.Min(body.WrittenCount, 4096)])}";
}
