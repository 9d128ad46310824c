namespace CotProxy.Http.Forwarding;

/// <summary>What the proxy needs from an upstream response's head, read in the pass that copies its end-to-end fields.</summary>
/// <param name="ContentType">The raw Content-Type value, if any.</param>
/// <param name="ContentLength">The body's declared length; null when it has none (or none that can be trusted).</param>
/// <param name="HasAmbiguousFraming">Content-Length with chunked, or differing lengths: see <see cref="UpstreamResponseHead.Read"/>.</param>
/// <param name="HasContentEncoding">The response has a Content-Encoding field (its body may be encoded).</param>
internal readonly record struct UpstreamHead(string? ContentType, long? ContentLength, bool HasAmbiguousFraming, bool HasContentEncoding);
