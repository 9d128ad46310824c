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
    /// <summary>The request header a client chooses the thinking mode with, where the profile allows it; never forwarded.</summary>
    public const string ModeHeader = "X-Reasoning-Mode";

    private static readonly ThinkMode[] s_headerModes = [ThinkMode.Strip, ThinkMode.Split, ThinkMode.Merge, ThinkMode.Keep];

    private readonly Dictionary<ModelProfile, ResponseRewriteOptions?> _byProfile = [];
    private readonly Dictionary<(ModelProfile, ThinkMode), ResponseRewriteOptions?> _byProfileAndMode = [];
    private readonly ResponseRewriteOptions? _global;
    private readonly string? _startTag;
    private readonly string? _endTag;
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
        _startTag = Decode(thinkTag, "THINK_TAG");
        _endTag = Decode(thinkEndTag, "THINK_END_TAG");
        _global = enableThinkTagFiltering && defaultMode != ThinkMode.Keep
            ? WithTags(defaultMode, null, _startTag, _endTag, anywhere: false, startsOpen: false, ResponseRewriteOptions.DefaultReasoningField, null)
            : null;
        foreach (var profile in profiles.Profiles)
        {
            var clientName = profile.UpstreamModelName is not null && profile.IsPseudoModel ? profile.Name : null;
            _byProfile[profile] = Build(profile, clientName);
            _historyByProfile[profile] = BuildHistory(profile, _byProfile[profile]);
            if (profile.AllowModeHeader == true)
            {
                foreach (var mode in s_headerModes)
                {
                    _byProfileAndMode[(profile, mode)] = Build(profile, clientName, mode);
                }
            }
        }

        _globalHistory = BuildHistory(null, _global);
        Strictest = StrictestOf(_byProfile.Values.Append(_global));
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

        // The tags the filter uses for this model: every start and end tag of each family it recognises, as pairs.
        var tags = options?.Tags ?? TagsOf(profile);
        (string Start, string End)[] pairs = [.. tags.Families.SelectMany(f => f.StartTags.SelectMany(start => f.EndTags.Select(end => (start, end))))];
        var startsOpen = options?.StartsOpen ?? profile?.ThinkStartsOpen ?? false;
        return new HistoryRule(pairs, startsOpen, profile?.KeepToolCallReasoning ?? false);
    }

    /// <summary>The tags of a model whose responses are not filtered, chosen as for one whose responses are.</summary>
    private ThinkTagSet TagsOf(ModelProfile? profile)
    {
        var (thinkTags, start, end) = TagChoice(profile);
        return ThinkTagSet.Resolve(thinkTags, start, end, profile?.ThinkTagsAnywhere ?? false);
    }

    /// <summary>
    /// A profile's own custom tags win over its think_tags; THINK_TAG / THINK_END_TAG only stand in where it names neither.
    /// Custom tags come back as start and end (names null), else the family's name (null: auto).
    /// </summary>
    private (string? ThinkTags, string? StartTag, string? EndTag) TagChoice(ModelProfile? profile)
    {
        if (profile is { ThinkTagStart: not null } or { ThinkTagEnd: not null })
        {
            return (null, profile.ThinkTagStart, profile.ThinkTagEnd);
        }

        return profile?.ThinkTags is { } names ? (names, null, null) : (null, _startTag, _endTag);
    }

    /// <summary>
    /// Reads an <c>X-Reasoning-Mode</c> value: <c>strip</c>, <c>split</c>, <c>merge</c> or <c>keep</c> (ASCII case-insensitive, as header
    /// tokens are compared, RFC 9110 §5.6.2). Null (no header) is no choice; false for any other value.
    /// </summary>
    public static bool TryParseModeHeader(string? value, out ThinkMode? mode)
    {
        mode = null;
        if (value is null)
        {
            return true;
        }

        foreach (var candidate in s_headerModes)
        {
            if (value.Trim().Equals(candidate.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                mode = candidate;
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a client's <c>X-Reasoning-Mode</c> is honoured for <paramref name="profile"/> (<c>allow_mode_header=true</c>).</summary>
    public static bool AllowsModeHeader(ModelProfile? profile) => profile?.AllowModeHeader == true;

    /// <summary>The options for a response to a request that named <paramref name="requestedModel"/> and matched <paramref name="profile"/>; null = untouched.</summary>
    /// <remarks><paramref name="requestedMode"/> (from <c>X-Reasoning-Mode</c>) counts only where the profile allows it.</remarks>
    public ResponseRewriteOptions? For(ModelProfile? profile, string? requestedModel, ThinkMode? requestedMode = null)
    {
        if (profile is null)
        {
            return _global;
        }

        ThinkMode? mode = AllowsModeHeader(profile) ? requestedMode : null;

        // A wildcard or default profile that renames the model writes back whatever name this client asked for.
        if (!profile.IsPseudoModel && profile.UpstreamModelName is not null && !string.IsNullOrEmpty(requestedModel))
        {
            return Build(profile, requestedModel, mode);
        }

        if (mode is ThinkMode chosen)
        {
            return _byProfileAndMode[(profile, chosen)];
        }

        return _byProfile.TryGetValue(profile, out var options) ? options : _global;
    }

    /// <summary>
    /// The strictest options any profile or the global filter applies (strip before split before merge), for a stored
    /// response whose model cannot be read; null when no filtering is configured at all, so stored responses pass untouched.
    /// </summary>
    public ResponseRewriteOptions? Strictest { get; }

    /// <summary>
    /// The options for a stored response (<c>GET /v1/responses/{id}</c>) that names <paramref name="model"/>, the upstream's
    /// name: a pseudo-model that renames to it gets its own options (its name put back, as on POST), else the profile the
    /// name finds; when several could have written it, the strictest of them; none read (null), the strictest of all.
    /// </summary>
    public ResponseRewriteOptions? ForStored(ProfileSet profiles, string? model)
    {
        if (model is null)
        {
            return Strictest;
        }

        List<ResponseRewriteOptions?>? candidates = null;
        foreach (var (profile, options) in _byProfile)
        {
            if (profile.IsPseudoModel && profile.UpstreamModelName == model)
            {
                (candidates ??= []).Add(options);
            }
        }

        var found = profiles.Find(model);
        if (candidates is null || found?.Name == model)
        {
            (candidates ??= []).Add(For(found, model));
        }

        return candidates.Count == 1 ? candidates[0] : StrictestOf(candidates);
    }

    private static ResponseRewriteOptions? StrictestOf(IEnumerable<ResponseRewriteOptions?> options)
    {
        ResponseRewriteOptions? strictest = null;
        foreach (var candidate in options)
        {
            if (candidate is { FiltersThinking: true } && (strictest is null || Rank(candidate.Mode) > Rank(strictest.Mode)))
            {
                strictest = candidate;
            }
        }

        return strictest;

        static int Rank(ThinkMode mode) => mode switch
        {
            ThinkMode.Strip => 3,
            ThinkMode.Split => 2,
            ThinkMode.Merge => 1,
            _ => 0,
        };
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
        var field = options.ReasoningField == ResponseRewriteOptions.BothReasoningFields ? "reasoning_content and reasoning" : options.ReasoningField;
        var split = options.Mode == ThinkMode.Split ? $" into {field}" : "";
        return $"responses: thinking {options.Mode.ToString().ToLowerInvariant()}{split} (tags {options.Tags.Describe()}{open})";
    }

    private ResponseRewriteOptions? Build(ModelProfile profile, string? clientModelName, ThinkMode? requestedMode = null)
    {
        // An explicit think_mode turns the filter on unless the profile also says enable_think_tag_filtering=false; a mode the
        // client chose where the profile allows it is what the client gets.
        var enabled = profile.EnableThinkTagFiltering ?? (profile.ThinkMode is not null || _globalEnable);
        var mode = requestedMode is ThinkMode chosen ? chosen : !enabled ? ThinkMode.Keep : profile.ThinkMode switch
        {
            "strip" => ThinkMode.Strip,
            "split" => ThinkMode.Split,
            "keep" => ThinkMode.Keep,
            "merge" => ThinkMode.Merge,
            _ => _defaultMode,
        };

        if (mode == ThinkMode.Keep && clientModelName is null)
        {
            return null;
        }

        var (thinkTags, startTag, endTag) = TagChoice(profile);
        return WithTags(
            mode,
            thinkTags,
            startTag,
            endTag,
            profile.ThinkTagsAnywhere ?? false,
            profile.ThinkStartsOpen ?? false,
            profile.ReasoningField ?? ResponseRewriteOptions.DefaultReasoningField,
            clientModelName);
    }

    /// <summary>Custom tags when either is given (the other defaults), else the named family or auto.</summary>
    private static ResponseRewriteOptions WithTags(ThinkMode mode, string? thinkTags, string? startTag, string? endTag, bool anywhere, bool startsOpen, string reasoningField, string? clientModelName)
    {
        bool custom = startTag is not null || endTag is not null;
        return custom
            ? new ResponseRewriteOptions
            {
                Mode = mode,
                StartTag = startTag ?? ResponseRewriteOptions.DefaultStartTag,
                EndTag = endTag ?? ResponseRewriteOptions.DefaultEndTag,
                TagsAnywhere = anywhere,
                StartsOpen = startsOpen,
                ReasoningField = reasoningField,
                ClientModelName = clientModelName,
            }
            : new ResponseRewriteOptions
            {
                Mode = mode,
                ThinkTags = thinkTags,
                TagsAnywhere = anywhere,
                StartsOpen = startsOpen,
                ReasoningField = reasoningField,
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

}
