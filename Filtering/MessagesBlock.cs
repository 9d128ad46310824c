namespace CotProxy.Filtering;

/// <summary>What the filter holds for one upstream content block of a Messages stream, from its start to its stop.</summary>
internal sealed class MessagesBlock(MessagesBlockKind kind) : IDisposable
{
    public MessagesBlockKind Kind { get; } = kind;

    /// <summary>The block and every event of it are removed (thinking in strip mode, redacted thinking in merge mode).</summary>
    public bool Hidden { get; init; }

    /// <summary>Merge mode: a thinking block the client receives as a text block opened with the start tag.</summary>
    public bool Merged { get; init; }

    /// <summary>The index the client knows the block by; in split mode, the index of the block the filter opened last for it (-1: none yet).</summary>
    public int Client { get; set; } = -1;

    /// <summary>Split mode: the kind of the block the filter opened last for this text block (None: none yet).</summary>
    public MessagesBlockKind Open { get; set; }

    /// <summary>Split mode: the upstream's start of this text block, sent (with the client's index) when its text turns out to begin with answer.</summary>
    public byte[]? HeldStart { get; set; }

    /// <summary>Where <see cref="HeldStart"/>'s index stands.</summary>
    public MessagesEvent HeldEvent { get; set; }

    /// <summary>A text block's think-tag filter (null for other blocks).</summary>
    public ThinkTagStripper? Stripper { get; init; }

    public void Dispose() => Stripper?.Dispose();
}
