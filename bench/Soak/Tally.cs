using System.Text;

namespace CotProxy.Bench.Soak;

/// <summary>Counts of outcomes per request kind and of faults injected, shared by every client loop.</summary>
internal sealed class Tally
{
    private static readonly int s_kinds = Enum.GetValues<RequestKind>().Length;
    private static readonly int s_outcomes = Enum.GetValues<Outcome>().Length;

    private readonly long[] _counts = new long[s_kinds * s_outcomes];
    private long _closeFaults;
    private long _resetFaults;
    private long _vanishPlanned;

    public long CloseFaults => Interlocked.Read(ref _closeFaults);

    public long ResetFaults => Interlocked.Read(ref _resetFaults);

    public long VanishPlanned => Interlocked.Read(ref _vanishPlanned);

    public void Add(RequestKind kind, Outcome outcome) => Interlocked.Increment(ref _counts[((int)kind * s_outcomes) + (int)outcome]);

    public void Fault(bool reset) => Interlocked.Increment(ref reset ? ref _resetFaults : ref _closeFaults);

    public void Vanish() => Interlocked.Increment(ref _vanishPlanned);

    public long Count(RequestKind kind, Outcome outcome) => Interlocked.Read(ref _counts[((int)kind * s_outcomes) + (int)outcome]);

    public long Total(Outcome? outcome = null, Func<RequestKind, bool>? kinds = null)
    {
        long sum = 0;
        foreach (var k in Enum.GetValues<RequestKind>())
        {
            if (kinds is not null && !kinds(k))
            {
                continue;
            }

            foreach (var o in Enum.GetValues<Outcome>())
            {
                if (outcome is null || o == outcome)
                {
                    sum += Count(k, o);
                }
            }
        }

        return sum;
    }

    public long Failures() => Enum.GetValues<Outcome>().Where(o => o >= Outcome.FailLooksWholeIsNot).Sum(o => Total(o));

    /// <summary>A markdown table: one row per request kind, one column per outcome.</summary>
    public string Table()
    {
        var outcomes = Enum.GetValues<Outcome>();
        var text = new StringBuilder();
        text.Append("| kind | responses | ").AppendJoin(" | ", outcomes).AppendLine(" |");
        text.Append("| --- | ---: |").Append(string.Concat(Enumerable.Repeat(" ---: |", outcomes.Length))).AppendLine();
        foreach (var k in Enum.GetValues<RequestKind>())
        {
            text.Append("| ").Append(k).Append(" | ").Append(outcomes.Sum(o => Count(k, o)));
            foreach (var o in outcomes)
            {
                text.Append(" | ").Append(Count(k, o));
            }

            text.AppendLine(" |");
        }

        text.Append("| all | ").Append(Total());
        foreach (var o in outcomes)
        {
            text.Append(" | ").Append(Total(o));
        }

        return text.AppendLine(" |").ToString();
    }
}
