namespace CotProxy.Bench.Soak;

/// <summary>Ends an exchange early with its outcome: the client vanished on purpose, or the proxy went silent.</summary>
internal sealed class ExchangeAbortedException(Outcome outcome) : Exception(outcome.ToString())
{
    public Outcome Outcome { get; } = outcome;
}
