using System.Buffers;
using System.Text;
using CotProxy.Http.Server;

namespace CotProxy.Fuzz.Targets;

/// <summary>
/// The request-head parser (Http/Server/HttpRequestParser) on arbitrary bytes: pipelined heads parsed from the whole input
/// at once must come out exactly as when the input arrives in pieces and each read re-parses what is buffered, as the
/// connection does. A rejection (<see cref="HttpRejection"/>) is a documented result; any other exception is a crash.
/// </summary>
/// <remarks>Input: one byte (bit 0: small limits, so each limit is within reach; the rest: the cut plan), then the bytes sent.</remarks>
internal static class RequestHeadTarget
{
    // Enough pipelined heads to cover the parser reusing one HttpRequest and its strings.
    private const int MaxHeads = 8;

    private static readonly HttpLimits s_defaultLimits = new();
    private static readonly HttpLimits s_smallLimits = new() { MaxRequestLineBytes = 64, MaxHeaderBytes = 256, MaxHeaderCount = 8 };

    public static void Run(byte[] data)
    {
        if (data.Length == 0)
        {
            return;
        }

        var limits = (data[0] & 1) == 0 ? s_defaultLimits : s_smallLimits;
        var input = data[1..];
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var whole = Parse(input, [], limits);
        var pieces = Parse(input, Cuts.Plan(input.Length, data[0] >> 1), limits);
        FuzzTargets.CheckAllocation(allocatedBefore, input.Length, "parsing the heads twice");
        if (whole != pieces)
        {
            throw new FuzzFailureException($"the head parsed differently when split:\nwhole:\n{whole}\npieces:\n{pieces}");
        }
    }

    /// <summary>Delivers the input piece by piece (at each cut) and parses what is buffered after each, as HttpConnection does.</summary>
    private static string Parse(byte[] input, List<int> cuts, HttpLimits limits)
    {
        var outcome = new StringBuilder();
        var request = new HttpRequest();
        var consumed = 0;
        var heads = 0;
        foreach (var end in cuts.Append(input.Length))
        {
            while (consumed < end)
            {
                var reader = new SequenceReader<byte>(Cuts.Sequence(input, consumed, end, cuts));
                try
                {
                    if (!HttpRequestParser.TryParseHead(ref reader, request, limits))
                    {
                        break;
                    }
                }
                catch (HttpRejection rejection)
                {
                    return outcome.Append("rejected: ").Append(rejection.Reason).ToString();
                }

                if (reader.Consumed <= 0)
                {
                    throw new FuzzFailureException("a head was parsed from no bytes");
                }

                consumed += (int)reader.Consumed;
                Describe(request, outcome).Append(" ending at ").Append(consumed).Append('\n');
                if (request.HasBody || ++heads == MaxHeads)
                {
                    // A body follows (the chunked target covers it), or enough heads were seen.
                    return outcome.ToString();
                }
            }
        }

        return outcome.Append("incomplete").ToString();
    }

    private static StringBuilder Describe(HttpRequest request, StringBuilder outcome)
    {
        outcome.Append(request.Method).Append(' ').Append(request.Target).Append(request.IsHttp11 ? " HTTP/1.1" : " HTTP/1.0")
            .Append(" host=").Append(request.Host).Append(" type=").Append(request.ContentType).Append(" connection=").Append(request.Connection)
            .Append(" length=").Append(request.ContentLength).Append(" chunked=").Append(request.IsChunked).Append(" keep-alive=").Append(request.KeepAlive)
            .Append(" close=").Append(request.ConnectionClose).Append(" continue=").Append(request.ExpectContinue);
        foreach (var (name, value) in request.Headers)
        {
            outcome.Append(" [").Append(name).Append(": ").Append(value).Append(']');
        }

        return outcome;
    }
}
