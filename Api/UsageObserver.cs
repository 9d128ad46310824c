using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>Reads the usage of a generation response that passes unfiltered (<see cref="UsageScanner"/>); one for all requests.</summary>
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
            UsageScanner.Scan(stats, data);
        }
    }
}
