using CotProxy.Filtering;

namespace CotProxy.Fuzz.Targets;

/// <summary>The fuzz targets by name, and the failure checks every target shares.</summary>
internal static class FuzzTargets
{
    /// <summary>Each target takes any bytes; it returns when they were handled as documented and throws otherwise.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["head"] = RequestHeadTarget.Run,
        ["chunked"] = ChunkedBodyTarget.Run,
        ["sse"] = input => RewriterTarget.Run(ResponseFraming.EventStream, input),
        ["ndjson"] = input => RewriterTarget.Run(ResponseFraming.Ndjson, input),
        ["json"] = input => RewriterTarget.Run(ResponseFraming.JsonBody, input),
    };

    /// <summary>Runs <paramref name="target"/> on <paramref name="input"/>.</summary>
    public static void Run(string target, byte[] input) => All[target](input);

    // Managed bytes one piece of work may allocate: a fixed allowance for pools and first-use tables, plus a multiple of the
    // bytes it was given. The work of every target is linear in its input (the rewriters' frame limit is RewriterTarget.Limit),
    // so work that needs more has found an allocation that grows without bound.
    private const long FixedAllocationBytes = 16L * 1024 * 1024;
    private const long AllocationBytesPerInputByte = 64;

    /// <summary>Fails when this thread allocated more than the budget for <paramref name="inputLength"/> bytes since <paramref name="allocatedBefore"/>.</summary>
    public static void CheckAllocation(long allocatedBefore, int inputLength, string what)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var budget = FixedAllocationBytes + (AllocationBytesPerInputByte * inputLength);
        if (allocated > budget)
        {
            throw new FuzzFailureException($"{what}: {allocated} bytes allocated for {inputLength} bytes of input (budget {budget})");
        }
    }
}
