namespace CotProxy.Filtering;

/// <summary>How a response body is cut into documents; the layer that reads headers decides which one a response has.</summary>
internal enum ResponseFraming
{
    /// <summary>Server-sent events: <c>data:</c> lines, one JSON document per event.</summary>
    EventStream,

    /// <summary>One JSON document per line (Ollama's native API).</summary>
    Ndjson,

    /// <summary>The whole body is one JSON document.</summary>
    JsonBody,

    /// <summary>Plain text with no JSON around the answer.</summary>
    Text,
}
