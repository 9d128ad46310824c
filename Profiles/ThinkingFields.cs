namespace CotProxy.Profiles;

/// <summary>
/// What one value of the thinking switch writes into a request for one kind of server: the fields it sets, and the
/// fields of the same switch it clears (a header's <c>off</c> must not leave the client's <c>reasoning_effort</c> behind).
/// </summary>
internal sealed class ThinkingFields
{
    public ThinkingFields(ThinkingSwitch value, string spelling, IReadOnlyList<ProfileEntry> set, IReadOnlyList<ProfileEntry> clear)
    {
        Value = value;
        Spelling = spelling;
        Set = set;
        Clear = clear;
    }

    public ThinkingSwitch Value { get; }

    /// <summary>For logs: how the upstream is told, e.g. <c>chat_template_kwargs.enable_thinking (vllm)</c>.</summary>
    public string Spelling { get; }

    /// <summary>Overrides: the fields and the values they get.</summary>
    public IReadOnlyList<ProfileEntry> Set { get; }

    /// <summary>Removals: the switch's other fields, which this value leaves unset.</summary>
    public IReadOnlyList<ProfileEntry> Clear { get; }
}
