namespace CotProxy.Bench.Soak;

/// <summary>What a soak request asks for: the body shape, and the model (so whether the proxy filters the thought).</summary>
internal enum RequestKind
{
    Json,
    JsonStrip,
    JsonSplit,
    Sse,
    SseStrip,
    SseSplit,
}
