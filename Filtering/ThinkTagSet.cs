using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>
/// The tags a model's responses are filtered by: one family, or (<c>think_tags=auto</c>) every built-in family, of which
/// each text's first tag picks one. Start-anchored unless <see cref="Anywhere"/>: a start tag counts at the start of the
/// answer (after whitespace) or right after a block ends, so a tag written inside the answer is text. Immutable and
/// shared; the lists of tags per phase are built once here.
/// </summary>
internal sealed class ThinkTagSet
{
    private static readonly ThinkTagPhase[] s_phases = Enum.GetValues<ThinkTagPhase>();

    private readonly ThinkTagList[][] _lists;

    public ThinkTagSet(IReadOnlyList<ThinkTagFamily> families, bool anywhere)
    {
        if (families.Count == 0)
        {
            throw new ArgumentException("A tag set needs at least one family.", nameof(families));
        }

        Families = families;
        Anywhere = anywhere;
        // Index 0: no family picked yet (only when there are several); index f + 1: family f.
        _lists = new ThinkTagList[families.Count + 1][];
        for (int family = -1; family < families.Count; family++)
        {
            _lists[family + 1] = [.. s_phases.Select(phase => new ThinkTagList(Tags(family, phase)))];
        }

        byte[][] all = [.. families.SelectMany(f => f.Starts.Concat(f.Ends).Concat(f.Drops))];
        FirstBytes = [.. all.Select(t => t[0]).Distinct()];
        FirstByteValues = SearchValues.Create(FirstBytes);
        MaxTagLength = all.Max(t => t.Length);
    }

    /// <summary>Every built-in family, start-anchored: what filtering uses when a profile names no tags.</summary>
    public static ThinkTagSet Auto { get; } = new(ThinkTagFamily.BuiltIn, anywhere: false);

    public IReadOnlyList<ThinkTagFamily> Families { get; }

    /// <summary><c>think_tags_anywhere=true</c>: a start tag counts wherever it stands, as before start-anchoring.</summary>
    public bool Anywhere { get; }

    /// <summary>Several families: each text's first tag picks the one its later tags must belong to.</summary>
    public bool PicksFamily => Families.Count > 1;

    /// <summary>Every byte any tag of the set begins with (the fast path's stop bytes).</summary>
    internal byte[] FirstBytes { get; }

    internal SearchValues<byte> FirstByteValues { get; }

    internal int MaxTagLength { get; }

    /// <summary>
    /// The set a profile's values name: custom tags when either is given (the other defaults to &lt;think&gt; or &lt;/think&gt;),
    /// else <paramref name="thinkTags"/> (<c>auto</c> or a built-in family's name; null is auto). Throws
    /// <see cref="FormatException"/> naming the accepted values for an unknown name.
    /// </summary>
    public static ThinkTagSet Resolve(string? thinkTags, string? startTag, string? endTag, bool anywhere)
    {
        if (startTag is not null || endTag is not null)
        {
            return new ThinkTagSet([ThinkTagFamily.Custom(startTag ?? ResponseRewriteOptions.DefaultStartTag, endTag ?? ResponseRewriteOptions.DefaultEndTag)], anywhere);
        }

        if (thinkTags is null or ThinkTagFamily.AutoName)
        {
            return anywhere ? new ThinkTagSet(ThinkTagFamily.BuiltIn, anywhere: true) : Auto;
        }

        return ThinkTagFamily.TryGet(thinkTags, out ThinkTagFamily family)
            ? new ThinkTagSet([family], anywhere)
            : throw new FormatException($"expects one of {ThinkTagFamily.AcceptedNames}, got \"{thinkTags}\"");
    }

    /// <summary>The tags to look for in <paramref name="phase"/>, for family index <paramref name="family"/> (-1: none picked yet).</summary>
    internal ThinkTagList For(int family, ThinkTagPhase phase) => _lists[family + 1][(int)phase];

    /// <summary>Short text for the start-up log: "auto" or the family's name, with the tags of a custom pair.</summary>
    public string Describe()
    {
        string anywhere = Anywhere ? ", anywhere" : "";
        if (PicksFamily)
        {
            return ThinkTagFamily.AutoName + anywhere;
        }

        ThinkTagFamily family = Families[0];
        return family.Name == ThinkTagFamily.CustomName
            ? $"{Visible(family.StartTags[0])}…{Visible(family.EndTags[0])}{anywhere}"
            : family.Name + anywhere;
    }

    private static string Visible(string tag) => tag.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private IEnumerable<ThinkTag> Tags(int family, ThinkTagPhase phase)
    {
        // ClosedFresh: a start tag inside the answer is text, but it is looked for: the end tag that follows it is its pair, not a lone end.
        bool starts = phase is ThinkTagPhase.OpenFresh or ThinkTagPhase.Open or ThinkTagPhase.ClosedFresh;
        bool loneEnds = phase is ThinkTagPhase.OpenFresh or ThinkTagPhase.ClosedFresh;
        bool ends = phase == ThinkTagPhase.Thought || loneEnds;
        // Markers belong to a family already picked: before that, the family's end tags stand for them.
        bool drops = phase != ThinkTagPhase.Thought && family >= 0;
        for (int f = 0; f < Families.Count; f++)
        {
            if (family >= 0 && f != family)
            {
                continue;
            }

            ThinkTagFamily tags = Families[f];
            foreach (byte[] tag in starts ? tags.Starts : [])
            {
                yield return new ThinkTag(tag, ThinkTagRole.Start, f);
            }

            foreach (byte[] tag in ends ? tags.Ends : [])
            {
                yield return new ThinkTag(tag, ThinkTagRole.End, f);
            }

            foreach (byte[] tag in drops ? tags.Drops : [])
            {
                yield return new ThinkTag(tag, ThinkTagRole.Drop, f);
            }
        }
    }
}
