namespace CotProxy.Filtering;

/// <summary>What a content block of the Messages API is to the filter, by its "type".</summary>
internal enum MessagesBlockKind
{
    /// <summary>No block type was read.</summary>
    None,

    /// <summary>"text": the answer, which may still hold think tags a server left in it.</summary>
    Text,

    /// <summary>"thinking", and any type naming thinking that is not "redacted_thinking" (failing closed on new names).</summary>
    Thinking,

    /// <summary>"redacted_thinking": encrypted thinking, "data" only.</summary>
    RedactedThinking,

    /// <summary>tool_use, server_tool_use, their results and any other block: not thinking, passed as it is.</summary>
    Other,
}
