namespace CotProxy.Demo;

/// <summary>The one tool call the demo answers with when the request offers tools; the arguments are a JSON object.</summary>
internal sealed record DemoToolCall(string Id, string Name, string Arguments)
{
    /// <summary>The arguments in the small pieces a stream sends them in (OpenAI streams a few characters per delta).</summary>
    public List<string> ArgumentFragments()
    {
        const int FragmentLength = 8;
        var fragments = new List<string>();
        var start = 0;
        while (start < Arguments.Length)
        {
            var end = Math.Min(start + FragmentLength, Arguments.Length);
            if (end < Arguments.Length && char.IsHighSurrogate(Arguments[end - 1]))
            {
                // Each fragment is a JSON string of its own: half a surrogate pair cannot be written as UTF-8.
                end++;
            }

            fragments.Add(Arguments[start..end]);
            start = end;
        }

        return fragments;
    }
}
