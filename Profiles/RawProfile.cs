namespace CotProxy.Profiles;

/// <summary>One <c>;</c>-separated profile as scanned: its 1-based position, its text and its entries.</summary>
internal sealed record RawProfile(int Number, string Text, IReadOnlyList<RawEntry> Entries);
