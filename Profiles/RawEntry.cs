namespace CotProxy.Profiles;

/// <summary>
/// One entry as scanned from <c>LLM_PARAMS</c>, before typing: the key text (with any <c>!</c> or
/// <c>?</c>), the trimmed value text with its escapes still in (null when there was no <c>=</c>),
/// and whether the value was taken as JSON.
/// </summary>
internal sealed record RawEntry(string KeyText, string? ValueText, bool IsJson);
