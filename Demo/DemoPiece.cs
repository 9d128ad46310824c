namespace CotProxy.Demo;

/// <summary>One token the demo model writes, and whether it belongs to a separated thought or to the answer text.</summary>
internal readonly record struct DemoPiece(string Text, bool Reasoning = false);
