namespace CotProxy.Filtering;

/// <summary>One tag a <see cref="ThinkTagList"/> looks for: its bytes, what it does, and the family (index in its set) it belongs to.</summary>
internal sealed class ThinkTag(byte[] bytes, ThinkTagRole role, int family)
{
    public byte[] Bytes { get; } = bytes;

    public ThinkTagRole Role { get; } = role;

    public int Family { get; } = family;
}
