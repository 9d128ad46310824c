namespace CotProxy.Profiles;

/// <summary>One family's start and end tag, as UTF-8 bytes.</summary>
internal readonly record struct ThinkTagPair(byte[] Start, byte[] End);
