namespace CotProxy.Demo;

/// <summary>
/// One streamed piece of a tool call, as OpenAI sends it: the first carries the id, type and name with empty arguments,
/// the rest only fragments of the arguments, all under the call's index.
/// </summary>
internal readonly record struct ChunkToolCall(int Index, string? Id, string? Name, string Arguments);
