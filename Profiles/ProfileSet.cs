namespace CotProxy.Profiles;

/// <summary>
/// The model profiles of <c>LLM_PARAMS</c>: <c>model=NAME,key=value,…;model=OTHER,…</c>. A profile is
/// found by the exact model name a request asks for; <c>default</c> serves requests naming no
/// model, <c>*</c> any model without a profile of its own.
/// </summary>
internal sealed class ProfileSet
{
    private readonly Dictionary<string, ModelProfile> _byName;

    private ProfileSet(List<ModelProfile> profiles)
    {
        Profiles = profiles;
        _byName = new Dictionary<string, ModelProfile>(StringComparer.Ordinal);
        foreach (ModelProfile profile in profiles)
        {
            _byName.Add(profile.Name, profile);
        }
    }

    public static ProfileSet Empty { get; } = new([]);

    /// <summary>The profiles in the order written (skipped ones left out).</summary>
    public IReadOnlyList<ModelProfile> Profiles { get; }

    /// <summary>
    /// Parses <c>LLM_PARAMS</c>. A profile not starting with <c>model=NAME</c> is skipped and a
    /// warning naming it is added to <paramref name="warnings"/>.
    /// </summary>
    /// <exception cref="ProfileParseException">Anything else malformed; the message names the profile and the key.</exception>
    public static ProfileSet Parse(string? llmParams, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        return string.IsNullOrWhiteSpace(llmParams) ? Empty : new ProfileSet(ProfileSetParser.Parse(llmParams, warnings));
    }

    /// <summary>
    /// The profile for a requested model name: an exact (case-sensitive) match; for a request naming
    /// no model the <c>default</c> profile; otherwise, or when there is no <c>default</c>, the
    /// <c>*</c> profile; else null.
    /// </summary>
    public ModelProfile? Find(string? requestedModel)
    {
        if (string.IsNullOrEmpty(requestedModel))
        {
            if (_byName.TryGetValue(ModelProfile.DefaultName, out ModelProfile? fallback))
            {
                return fallback;
            }
        }
        else if (_byName.TryGetValue(requestedModel, out ModelProfile? exact))
        {
            return exact;
        }

        return _byName.GetValueOrDefault(ModelProfile.AnyName);
    }

    /// <summary>The profile named <paramref name="name"/> exactly, or null (no fallbacks).</summary>
    public ModelProfile? Get(string name) => _byName.GetValueOrDefault(name);
}
