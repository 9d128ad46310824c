using System.Runtime.CompilerServices;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// The upstreams one model is served by (a profile's <c>upstream:</c>, else the default upstream alone). With several,
/// requests take them in turn (round-robin); a failed connect moves on to the next, and the last failure is the one the
/// client sees. Each upstream's max_concurrent is kept here: a request takes a slot until its response ends, waits in
/// the upstream's bounded queue when none is free, and gets 503 with Retry-After when the queue is full too.
/// </summary>
internal sealed class UpstreamRoute
{
    // RFC 9110 §10.2.3: Retry-After in seconds; a slot frees when a response ends, so soon.
    private const string RetryAfterSeconds = "1";

    private readonly Forwarder[] _members;
    private int _next = -1;

    public UpstreamRoute(params Forwarder[] members)
    {
        ArgumentOutOfRangeException.ThrowIfZero(members.Length);
        _members = members;
    }

    /// <summary>The first upstream named: the one whose server kind the thinking switch uses.</summary>
    public Forwarder Primary => _members[0];

    public IReadOnlyList<Forwarder> Members => _members;

    /// <summary>Forwards as <see cref="Forwarder.ForwardAsync"/> does, to the next upstream in turn.</summary>
    public ValueTask ForwardAsync(HttpContext context, ReadOnlyMemory<byte>? bufferedBody = null, ResponseTransform? transform = null, IBodyObserver? observer = null) =>
        _members.Length == 1 && _members[0].Gate is null
            ? _members[0].ForwardAsync(context, bufferedBody, transform, observer)
            : ForwardRoutedAsync(context, bufferedBody, transform, observer);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardRoutedAsync(HttpContext context, ReadOnlyMemory<byte>? bufferedBody, ResponseTransform? transform, IBodyObserver? observer)
    {
        // A body that streams through cannot be sent twice: only a read (or absent) one may fail over.
        var canFailOver = bufferedBody is not null || !context.Request.HasBody;
        var count = _members.Length;
        var start = count == 1 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        ConnectFailover? failover = null;
        for (var i = 0; i < count; i++)
        {
            var upstream = _members[(start + i) % count];
            var last = i == count - 1 || !canFailOver;
            var gate = upstream.Gate;
            if (gate is not null)
            {
                if (!last)
                {
                    // Before the last, only a free slot will do: a busy upstream passes the request on instead of queueing it.
                    if (!gate.TryEnter())
                    {
                        continue;
                    }
                }
                else
                {
                    bool entered;
                    try
                    {
                        entered = await gate.EnterAsync(upstream.Options.ApiRequestTimeout, context.Aborted);
                    }
                    catch (OperationCanceledException) when (context.Aborted.IsCancellationRequested)
                    {
                        // The client left while waiting for a slot: nobody to answer.
                        return;
                    }

                    if (!entered)
                    {
                        await BusyAsync(context, upstream, gate);
                        return;
                    }
                }
            }

            try
            {
                if (last)
                {
                    await upstream.ForwardAsync(context, bufferedBody, transform, observer);
                    return;
                }

                failover ??= new ConnectFailover();
                failover.Failure = null;
                await upstream.ForwardAsync(context, bufferedBody, transform, observer, failover);
                if (failover.Failure is null)
                {
                    return;
                }

                Log.Warn($"{context.Request.Method} {LogRedaction.Url(failover.Failure.Target)}: upstream `{upstream.Name}`: {failover.Failure.Describe(upstream.Options).Message} Trying the next upstream of this model.");
            }
            finally
            {
                gate?.Release();
            }
        }
    }

    private static ValueTask BusyAsync(HttpContext context, Forwarder upstream, ConcurrencyGate gate)
    {
        var message = $"The upstream `{upstream.Name}` is busy: it takes {gate.MaxConcurrent} request(s) at once (max_concurrent) and {gate.MaxQueued} more waiting, and no slot came free in time. Retry shortly.";
        Log.Warn($"{context.Request.Method} {LogRedaction.Url(upstream.Options.TargetBaseUrl)}: {message}");
        return OpenAiErrorWriter.WriteAsync(context.Response, 503, message, "upstream_busy", "Retry-After", RetryAfterSeconds, context.Aborted);
    }
}
