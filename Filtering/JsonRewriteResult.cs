namespace CotProxy.Filtering;

/// <summary>What <see cref="JsonPayloadRewriter"/> did with one JSON document.</summary>
internal enum JsonRewriteResult
{
    /// <summary>Nothing changed (or not JSON): send the original bytes as they came.</summary>
    Unchanged,

    /// <summary>The rewritten document is in the output buffer.</summary>
    Rewritten,

    /// <summary>Stream event whose only payload was removed text: send nothing.</summary>
    Dropped,

    /// <summary>Could not be read, and may hold thinking: send nothing (fail closed) and count it.</summary>
    Unreadable,
}
