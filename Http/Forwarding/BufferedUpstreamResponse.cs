namespace CotProxy.Http.Forwarding;

/// <summary>A small upstream response read whole, for endpoints the proxy answers from it (the models list).</summary>
internal sealed record BufferedUpstreamResponse(int StatusCode, List<KeyValuePair<string, string>> Headers, byte[] Body)
{
    public string? ContentType => Headers.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value;
}
