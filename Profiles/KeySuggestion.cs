namespace CotProxy.Profiles;

/// <summary>
/// The nearest known name to a misspelt one, by edit distance (insertions, deletions, substitutions and swaps of two
/// neighbours, each one edit; letter case ignored): "temprature" finds "temperature".
/// </summary>
internal static class KeySuggestion
{
    /// <summary>The most edits a suggestion may be away.</summary>
    public const int MaxEdits = 2;

    /// <summary>
    /// The known name closest to <paramref name="name"/>, or null when none is close enough: at most
    /// <see cref="MaxEdits"/> edits, and fewer for short names (one for names of four to six characters, none but a
    /// change of case below four), so that "n" is not offered for every one-letter key.
    /// </summary>
    public static string? Nearest(string name, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in known)
        {
            int allowed = candidate.Length < 4 ? 0 : candidate.Length < 7 ? 1 : MaxEdits;
            int distance = Distance(name, candidate, allowed);
            if (distance <= allowed && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>
    /// Optimal-string-alignment distance, ignoring letter case; any result above <paramref name="limit"/> is reported
    /// as limit + 1 (the lengths alone may already tell).
    /// </summary>
    public static int Distance(string a, string b, int limit = int.MaxValue - 1)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (Math.Abs(a.Length - b.Length) > limit)
        {
            return limit + 1;
        }

        // Three rows of the dynamic-programming table: the one before the previous is needed for swaps.
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            char ai = char.ToLowerInvariant(a[i - 1]);
            for (int j = 1; j <= b.Length; j++)
            {
                char bj = char.ToLowerInvariant(b[j - 1]);
                int cost = ai == bj ? 0 : 1;
                int value = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && ai == char.ToLowerInvariant(b[j - 2]) && char.ToLowerInvariant(a[i - 2]) == bj)
                {
                    value = Math.Min(value, before[j - 2] + 1);
                }

                current[j] = value;
            }

            (before, previous, current) = (previous, current, before);
        }

        return Math.Min(previous[b.Length], limit + 1);
    }
}
