namespace CotProxy.Profiles;

/// <summary>
/// The one thinking switch: the profile key <c>thinking</c> and the request header <c>X-Thinking</c> take these values,
/// and <see cref="ThinkingTranslation"/> spells them the way the upstream's kind of server understands.
/// </summary>
internal enum ThinkingSwitch
{
    Off,
    On,
    Low,
    Medium,
    High,
}
