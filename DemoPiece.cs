namespace CotProxy.Demo;

/// <summary>One token the demo model writes, and whether it belongs to the separated thought or to the visible text.</summary>
internal readonly record struct DemoPiece(string Text, bool Reasoning = false);
