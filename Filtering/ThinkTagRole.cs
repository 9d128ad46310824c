namespace CotProxy.Filtering;

/// <summary>What a tag found in the text does.</summary>
internal enum ThinkTagRole
{
    /// <summary>Opens a thought.</summary>
    Start,

    /// <summary>Closes a thought (or, before any tag was seen, ends one the template opened).</summary>
    End,

    /// <summary>A marker around the answer (Harmony's final-channel header, message end): removed, nothing else.</summary>
    Drop,
}
