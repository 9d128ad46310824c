namespace CotProxy.Demo;

/// <summary>
/// One choice of a streamed chunk: its index, the delta's role, content, separated thought (in the field
/// <see cref="ReasoningField"/>, <c>reasoning_content</c> when null) or tool call, and the finish reason (null while streaming).
/// </summary>
internal readonly record struct ChunkChoice(
    int Index,
    string? Content = null,
    string? FinishReason = null,
    bool Role = false,
    string? Reasoning = null,
    string? ReasoningField = null,
    ChunkToolCall? ToolCall = null);
