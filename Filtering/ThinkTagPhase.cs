namespace CotProxy.Filtering;

/// <summary>Which tags a <see cref="ThinkTagStripper"/> looks for, by where it is in the text.</summary>
internal enum ThinkTagPhase
{
    /// <summary>Answer where a start tag counts, no tag seen yet (a lone end tag counts too).</summary>
    OpenFresh,

    /// <summary>Answer where a start tag counts, after a tag.</summary>
    Open,

    /// <summary>Answer past its start (start-anchored), no tag seen yet: only a lone end tag or a marker counts (a start tag found is text, and ends the lone-end rule).</summary>
    ClosedFresh,

    /// <summary>Answer past its start after a tag: only markers count.</summary>
    Closed,

    /// <summary>Inside a thought: its end tags.</summary>
    Thought,
}
