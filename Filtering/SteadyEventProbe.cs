namespace CotProxy.Filtering;

/// <summary>
/// The fast path's first and cheapest look, taken before <see cref="RawDocumentProbe"/> walks every property name: a
/// stream event of a one-choice stream in OpenAI's chunk shape, searched (vectorised) for the few names that could change
/// the event or the filter's state, without tokenising the rest. It answers only when the event provably leaves that
/// state as it is: choice 0's answer going on (sent as it came) or, in strip mode, its thought going on (dropped).
/// Anything else it leaves to the probe.
/// </summary>
/// <remarks>
/// Sound for the same reason as the probe (its first check): with no tag's first byte and no escape but \n \t \r \/ \b \f
/// in the event, every quote byte delimits a string, so a quoted name found in the raw bytes is a whole string token,
/// and a name the search does not find is not in the event. A value that happens to spell a name only makes it decline.
/// </remarks>
internal sealed class SteadyEventProbe
{
    // Names that make the event more than choice 0's text going on: separated reasoning (reasoning_content, reasoning,
    // reasoning_details, Ollama's thinking), a role (payload the first time), completions' text, Ollama's native shape.
    private static readonly byte[][] s_notSteady =
        ["\"reasoning"u8.ToArray(), "\"thinking\""u8.ToArray(), "\"role\""u8.ToArray(), "\"text\""u8.ToArray(),
         "\"done\""u8.ToArray(), "\"message\""u8.ToArray(), "\"response\""u8.ToArray()];

    // Payload of its own (as RawDocumentProbe classifies it): an event holding one is kept even when its text is all thought.
    private static readonly byte[][] s_payload =
        ["\"usage\""u8.ToArray(), "\"error\""u8.ToArray(), "\"refusal\""u8.ToArray(), "\"tool_calls\""u8.ToArray(),
         "\"function_call\""u8.ToArray()];

    private readonly RawDocumentProbe _probe;
    private readonly bool _enabled;
    private readonly bool _split;

    public SteadyEventProbe(ResponseRewriteOptions options)
    {
        _probe = options.Probe;
        // A model name to put back is spliced by the probe, which finds it while walking the names.
        _enabled = options.FiltersThinking && options.ClientModelName is null && !options.SteadyProbeOff;
        _split = options.Mode == ThinkMode.Split;
    }

    /// <summary>
    /// True with <see cref="ProbeVerdict.Pass"/> (send as it came) or <see cref="ProbeVerdict.DropThought"/> when
    /// <paramref name="json"/> is choice 0's answer or (strip) thought going on; false when the probe must look.
    /// </summary>
    public bool TryDecide(ReadOnlySpan<byte> json, JsonRewriteContext context, out ProbeVerdict verdict)
    {
        verdict = ProbeVerdict.FullPath;
        if (!_enabled || !context.Streaming || context.Choices.Count != 1 || !context.TryGetChoice(0, out ChoiceFilterState? choice))
        {
            return false;
        }

        bool answer = choice.IsSteady(content: true, text: false, role: false);
        if (!answer && (_split || !choice.IsSteadyThought(role: false)))
        {
            return false;
        }

        if (!_probe.HasOnlyPlainEscapes(json) || ContainsAny(json, s_notSteady) || !EveryFinishNull(json)
            || !IsOnlyName(json, "\"index\""u8, out int index) || !StartsWithZero(json[index..]) || !IsOnlyName(json, "\"delta\""u8, out _))
        {
            return false;
        }

        if (answer)
        {
            verdict = ProbeVerdict.Pass;
            return true;
        }

        // All of its text thought, and nothing else the full path would keep: one non-empty content string, no payload.
        if (ContainsAny(json, s_payload) || !IsOnlyName(json, "\"content\""u8, out int content)
            || content >= json.Length - 1 || json[content] != (byte)'"' || json[content + 1] == (byte)'"')
        {
            return false;
        }

        verdict = ProbeVerdict.DropThought;
        return true;
    }

    private static bool ContainsAny(ReadOnlySpan<byte> json, byte[][] names)
    {
        foreach (byte[] name in names)
        {
            if (json.IndexOf(name) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every "finish_reason" is a name whose value is null (the choice goes on).</summary>
    private static bool EveryFinishNull(ReadOnlySpan<byte> json)
    {
        int found;
        while ((found = json.IndexOf("\"finish_reason\""u8)) >= 0)
        {
            json = json[(found + "\"finish_reason\""u8.Length)..];
            if (!TryValue(json, out int value) || !json[value..].StartsWith("null"u8))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <paramref name="name"/> occurs once, as a name: <paramref name="value"/> is where its value starts. False when it
    /// is missing, repeated, or a string value.
    /// </summary>
    private static bool IsOnlyName(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, out int value)
    {
        value = 0;
        int at = json.IndexOf(name);
        if (at < 0 || json[(at + name.Length)..].IndexOf(name) >= 0 || !TryValue(json[(at + name.Length)..], out int offset))
        {
            return false;
        }

        value = at + name.Length + offset;
        return true;
    }

    /// <summary>After a string token: optional whitespace, a colon (so the string was a name), optional whitespace.</summary>
    private static bool TryValue(ReadOnlySpan<byte> rest, out int value)
    {
        value = 0;
        int colon = rest.Length - rest.TrimStart(" \t\r\n"u8).Length;
        if (colon >= rest.Length || rest[colon] != (byte)':')
        {
            return false;
        }

        value = rest.Length - rest[(colon + 1)..].TrimStart(" \t\r\n"u8).Length;
        return value < rest.Length;
    }

    private static bool StartsWithZero(ReadOnlySpan<byte> value) =>
        value[0] == (byte)'0' && (value.Length == 1 || value[1] is not (>= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'e' or (byte)'E'));
}
