namespace CotProxy.Profiles;

/// <summary>
/// What a request's rewrite does beyond its profile's entries: the thinking switch, already in the upstream's words, and
/// history hygiene. The default does neither.
/// </summary>
internal readonly struct RequestExtras
{
    /// <summary>The switch's fields for this request's server and endpoint; null: no switch.</summary>
    public ThinkingFields? Thinking { get; init; }

    /// <summary>
    /// The switch came from the request's X-Thinking header: it overrides the body's own fields. From the profile, it
    /// applies only when the body sets none of them (header, then the request's own field, then the profile).
    /// </summary>
    public bool ThinkingFromHeader { get; init; }

    /// <summary>History hygiene's rule; null: earlier turns are sent as they came.</summary>
    public HistoryRule? History { get; init; }

    public bool Any => Thinking is not null || History is not null;
}
