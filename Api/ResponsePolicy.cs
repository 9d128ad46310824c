using CotProxy.Filtering;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// Decides, per request, how its response is rewritten: the thinking filter (per profile, else the global
/// ENABLE_THINK_TAG_FILTERING / THINK_TAG / THINK_END_TAG) and the model name written back for pseudo-models.
/// Options are built once at start-up; only a wildcard profile that renames the model builds them per request.
/// </summary>
internal sealed class ResponsePolicy
{
    private readonly Dictionary<ModelProfile, ResponseRewriteOptions?> _byProfile = [];
    private readonly ResponseRewriteOptions? _global;
    private readonly string _startTag;
    private readonly string _endTag;
    private readonly bool _globalEnable;
    private readonly ThinkMode _defaultMode;
    private readonly Dictionary<ModelProfile, HistoryRule?> _historyByProfile = [];
    private readonly HistoryRule? _globalHistory;

    /// <summary>
    /// <paramref name="defaultMode"/> (THINK_MODE) is the mode of every filtered model whose profile names none; it does
    /// not turn filtering on. Throws <see cref="FormatException"/> when THINK_TAG or THINK_END_TAG carries a bad escape.
    /// </summary>
    public ResponsePolicy(ProfileSet profiles, bool enableThinkTagFiltering, string? thinkTag, string? thinkEndTag, ThinkMode defaultMode = ThinkMode.Strip)
    {
        _globalEnable = enableThinkTagFiltering;
        _defaultMode = defaultMode;
        _startTag = Decode(thinkTag, "THINK_TAG") ?? ResponseRewriteOptions.DefaultStartTag;
        _endTag = Decode(thinkEndTag, "THINK_END_TAG") ?? ResponseRewriteOptions.DefaultEndTag;
        _global = enableThinkTagFiltering && defaultMode != ThinkMode.Keep
            ? new ResponseRewriteOptions { Mode = defaultMode, StartTag = _startTag, EndTag = _endTag }
            : null;
        foreach (var profile in profiles.Profiles)
        {
            var clientName = profile.UpstreamModelName is not null && profile.IsPseudoModel ? profile.Name : null;
            _byProfile[profile] = Build(profile, clientName);
            _historyByProfile[profile] = BuildHistory(profile, _byProfile[profile]);
        }

        _globalHistory = BuildHistory(null, _global);
    }

    /// <summary>
    /// History hygiene for a request that matched <paramref name="profile"/> and whose response gets <paramref name="options"/>:
    /// on when the model's filter is on (in a mode other than keep), unless the profile says strip_history_thinking.
    /// </summary>
    public HistoryRule? HistoryFor(ModelProfile? profile, ResponseRewriteOptions? options) =>
        profile is null ? _globalHistory
        : _historyByProfile.TryGetValue(profile, out var rule) ? rule
        : BuildHistory(profile, options);

    private HistoryRule? BuildHistory(ModelProfile? profile, ResponseRewriteOptions? options)
    {
        var filtering = options is { Mode: not ThinkMode.Keep };
        if (!(profile?.StripHistoryThinking ?? filtering))
        {
            return null;
        }

        // The tags the filter uses for this model; the tag families the filter learns plug in here, as more pairs.
        var start = options?.StartTag ?? profile?.ThinkTagStart ?? _startTag;
        var end = options?.EndTag ?? profile?.ThinkTagEnd ?? _endTag;
        var startsOpen = options?.StartsOpen ?? profile?.ThinkStartsOpen ?? false;
        return new HistoryRule([(start, end)], startsOpen, profile?.KeepToolCallReasoning ?? false);
    }

    /// <summary>The options for a response to a request that named <paramref name="requestedModel"/> and matched <paramref name="profile"/>; null = untouched.</summary>
    public ResponseRewriteOptions? For(ModelProfile? profile, string? requestedModel)
    {
        if (profile is null)
        {
            return _global;
        }

        // A wildcard or default profile that renames the model writes back whatever name this client asked for.
        if (!profile.IsPseudoModel && profile.UpstreamModelName is not null && !string.IsNullOrEmpty(requestedModel))
        {
            return Build(profile, requestedModel);
        }

        return _byProfile.TryGetValue(profile, out var options) ? options : _global;
    }

    /// <summary>One line per profile for the start-up log: what happens to its responses.</summary>
    public string Describe(ModelProfile profile)
    {
        var options = _byProfile.GetValueOrDefault(profile);
        if (options is null || options.Mode == ThinkMode.Keep)
        {
            return options?.ClientModelName is { } name ? $"responses: model renamed to {name}, thinking kept" : "responses: untouched";
        }

        var open = options.StartsOpen ? ", starts open" : "";
        var split = options.Mode == ThinkMode.Split ? $" into {options.ReasoningField}" : "";
        return $"responses: thinking {options.Mode.ToString().ToLowerInvariant()}{split} ({Visible(options.StartTag)}…{Visible(options.EndTag)}{open})";
    }

    private ResponseRewriteOptions? Build(ModelProfile profile, string? clientModelName)
    {
        // An explicit think_mode turns the filter on unless the profile also says enable_think_tag_filtering=false.
        var enabled = profile.EnableThinkTagFiltering ?? (profile.ThinkMode is not null || _globalEnable);
        var mode = !enabled ? ThinkMode.Keep : profile.ThinkMode switch
        {
            "strip" => ThinkMode.Strip,
            "split" => ThinkMode.Split,
            "keep" => ThinkMode.Keep,
            _ => _defaultMode,
        };

        if (mode == ThinkMode.Keep && clientModelName is null)
        {
            return null;
        }

        return new ResponseRewriteOptions
        {
            Mode = mode,
            StartTag = profile.ThinkTagStart ?? _startTag,
            EndTag = profile.ThinkTagEnd ?? _endTag,
            StartsOpen = profile.ThinkStartsOpen ?? false,
            ReasoningField = profile.ReasoningField ?? ResponseRewriteOptions.DefaultReasoningField,
            ClientModelName = clientModelName,
        };
    }

    private static string? Decode(string? tag, string setting)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return null;
        }

        try
        {
            return ValueEscapes.Decode(tag);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{setting}: {ex.Message}", ex);
        }
    }

    private static string Visible(string tag) => tag.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
}
