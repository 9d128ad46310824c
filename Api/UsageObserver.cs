using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>
/// Reads the usage of a generation response (<see cref="UsageScanner"/>): its body as it passes unfiltered (a filtered one
/// is fed by <see cref="ThinkingTransform"/>), and the kept end when it is over. One for all requests.
/// </summary>
internal sealed class UsageObserver : IBodyObserver
{
    public static readonly UsageObserver Instance = new();

    private UsageObserver()
    {
    }

    public void Observe(HttpContext context, ReadOnlySpan<byte> data)
    {
        if (context.Stats is { } stats)
        {
            UsageScanner.Append(stats, data);
        }
    }

    public void Complete(HttpContext context)
    {
        if (context.Stats is { } stats)
        {
            UsageScanner.Finish(stats);
        }
    }
}
