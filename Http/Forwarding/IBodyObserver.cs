using CotProxy.Http.Server;

namespace CotProxy.Http.Forwarding;

/// <summary>Reads an unchanged upstream body as it passes through (the layer above counts what it reports); must not keep the bytes.</summary>
internal interface IBodyObserver
{
    /// <summary>One read of the body, split anywhere; called only for a body in no Content-Encoding.</summary>
    void Observe(HttpContext context, ReadOnlySpan<byte> data);
}
