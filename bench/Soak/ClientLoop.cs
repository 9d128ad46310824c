using System.Globalization;
using System.Net;

namespace CotProxy.Bench.Soak;

/// <summary>
/// One client connection's loop: request after request on a kept-alive connection (a new one after every cut), each
/// of a random kind from its set, with an upstream fault or a vanishing client at the given odds, until stopped
/// between two requests.
/// </summary>
internal sealed class ClientLoop(IPEndPoint proxy, RequestKind[] kinds, double faultOdds, double vanishOdds, int pauseMs,
    IReadOnlyDictionary<RequestKind, byte[]> references, Tally tally, TimeSpan hangTimeout)
{
    public async Task RunAsync(CancellationToken stop)
    {
        using var exchange = new Exchange(proxy, hangTimeout);
        while (!stop.IsCancellationRequested)
        {
            var kind = kinds[Random.Shared.Next(kinds.Length)];
            var fault = "none";
            if (Random.Shared.NextDouble() < faultOdds)
            {
                var reset = Random.Shared.Next(2) == 0;
                tally.Fault(reset);
                fault = (reset ? "reset-" : "close-") + Random.Shared.Next(1000).ToString(CultureInfo.InvariantCulture);
            }

            var vanishAt = long.MaxValue;
            var vanishWithReset = false;
            if (Random.Shared.NextDouble() < vanishOdds)
            {
                tally.Vanish();

                // Anywhere from right after the request to the end of the response head and body.
                vanishAt = Random.Shared.NextInt64(references[kind].Length + 200);
                vanishWithReset = Random.Shared.Next(2) == 0;
            }

            var (outcome, _) = await exchange.RunAsync(kind, fault, vanishAt, vanishWithReset, references[kind]);
            tally.Add(kind, outcome);
            if (pauseMs > 0)
            {
                try
                {
                    await Task.Delay(pauseMs, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
