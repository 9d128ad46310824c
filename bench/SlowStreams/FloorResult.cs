using System.Globalization;

namespace CotProxy.Bench.SlowStreams;

/// <summary>What one <c>client-floor</c> run measured: responses in the timed window and the process's own CPU time per response.</summary>
internal sealed record FloorResult(int Connections, long Requests, double Seconds, double UserUs, double SystemUs, long Errors, string? FirstError)
{
    public double RequestsPerSecond => Seconds > 0 ? Requests / Seconds : 0;

    public double UserUsPerRequest => Requests > 0 ? UserUs / Requests : 0;

    public double SystemUsPerRequest => Requests > 0 ? SystemUs / Requests : 0;

    /// <summary>Any failed request (non-2xx, exception) or no response at all makes the CPU per request meaningless.</summary>
    public bool Valid => Errors == 0 && Requests > 0;

    /// <summary>One line of key=value pairs that bench/run reads with awk.</summary>
    public string Format(bool inlineCompletions) => string.Create(CultureInfo.InvariantCulture,
        $"floor connections={Connections} seconds={Seconds:0.00} requests={Requests} rps={RequestsPerSecond:0} user_us={UserUsPerRequest:0.0} sys_us={SystemUsPerRequest:0.0} errors={Errors} valid={(Valid ? "yes" : "no")} inline_completions={(inlineCompletions ? 1 : 0)}");
}
