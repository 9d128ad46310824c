namespace CotProxy.Filtering;

/// <summary>Where a <see cref="ThinkTagStripper"/> is in the text it filters.</summary>
internal enum ThinkTagStripperState
{
    /// <summary>Answer text; looking for a start tag (and, before any tag, for an end tag with no start).</summary>
    Answer,

    /// <summary>Inside a block opened by a start tag; looking for the end tag.</summary>
    Thought,

    /// <summary>think_starts_open: the template opened the block; text is held until the first end tag or the end.</summary>
    OpenThought,
}
