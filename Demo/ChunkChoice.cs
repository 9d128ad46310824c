namespace CotProxy.Demo;

/// <summary>One choice of a streamed chunk: its index, the delta's role and content, and the finish reason (null while streaming).</summary>
internal readonly record struct ChunkChoice(int Index, string? Content = null, string? FinishReason = null, bool Role = false);
