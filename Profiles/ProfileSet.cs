namespace CotProxy.Profiles;

/// <summary>
/// The model profiles of <c>LLM_PARAMS</c> (<c>model=NAME,key=value,…;model=OTHER,…</c>) or of a config file. A
/// profile is found by the exact model name a request asks for; else by the longest pattern (a name with <c>*</c> or
/// <c>?</c>, such as <c>qwen3-*</c>) that matches it. <c>default</c> serves requests naming no model, <c>*</c> (the
/// shortest pattern) any model without a profile of its own.
/// </summary>
internal sealed class ProfileSet
{
    private readonly Dictionary<string, ModelProfile> _byName;

    // The patterns, longest first; among equally long ones the first written comes first.
    private readonly ModelProfile[] _globs;

    private ProfileSet(List<ModelProfile> profiles)
    {
        Profiles = profiles;
        _byName = new Dictionary<string, ModelProfile>(StringComparer.Ordinal);
        foreach (ModelProfile profile in profiles)
        {
            _byName.Add(profile.Name, profile);
        }

        _globs = [.. profiles.Where(p => p.IsGlob).OrderByDescending(p => p.Name.Length)];
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

    /// <summary>Profiles built elsewhere (a config file's), with distinct names.</summary>
    public static ProfileSet Of(List<ModelProfile> profiles) => profiles.Count == 0 ? Empty : new ProfileSet(profiles);

    /// <summary>
    /// The profile for a requested model name: an exact (case-sensitive) match; for a request naming no model the
    /// <c>default</c> profile; otherwise the longest matching pattern (<c>*</c> last); else null.
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

        foreach (ModelProfile glob in _globs)
        {
            if (GlobMatches(glob.Name, requestedModel ?? string.Empty))
            {
                return glob;
            }
        }

        return null;
    }

    /// <summary>The profile named <paramref name="name"/> exactly, or null (no fallbacks).</summary>
    public ModelProfile? Get(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Shell-style matching, case-sensitive as model names are: <c>*</c> any run of characters (none too), <c>?</c>
    /// one character. Backtracks only to the last <c>*</c>, so it is linear in practice and allocates nothing.
    /// </summary>
    public static bool GlobMatches(ReadOnlySpan<char> pattern, ReadOnlySpan<char> name)
    {
        int p = 0;
        int n = 0;
        int star = -1;
        int resume = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || (pattern[p] != '*' && pattern[p] == name[n])))
            {
                p++;
                n++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = n;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
