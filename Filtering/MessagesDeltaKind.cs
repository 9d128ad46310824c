namespace CotProxy.Filtering;

/// <summary>The "type" of a content_block_delta's delta.</summary>
internal enum MessagesDeltaKind
{
    None,

    /// <summary>"text_delta": its "text".</summary>
    Text,

    /// <summary>"thinking_delta": its "thinking".</summary>
    Thinking,

    /// <summary>"signature_delta": its "signature" (the end of a thinking block).</summary>
    Signature,

    /// <summary>input_json_delta, citations_delta and any other.</summary>
    Other,
}
