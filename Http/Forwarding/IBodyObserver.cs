using CotProxy.Http.Server;

namespace CotProxy.Http.Forwarding;

/// <summary>Reads an unchanged upstream body as it passes through (the layer above counts what it reports).</summary>
internal interface IBodyObserver
{
    /// <summary>One read of the body, split anywhere; called only for a body in no Content-Encoding.</summary>
    void Observe(HttpContext context, ReadOnlySpan<byte> data);

    /// <summary>The response is over (however it ended), whether or not <see cref="Observe"/> saw its body.</summary>
    void Complete(HttpContext context);
}
