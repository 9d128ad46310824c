namespace CotProxy.Demo;

/// <summary>The one tool call the demo answers with when the request offers tools: the arguments are a JSON object.</summary>
internal sealed record DemoToolCall(string Id, string Name, string Arguments)
{
    /// <summary>The arguments in the small pieces a stream sends them in (OpenAI streams a few characters per delta).</summary>
    public IEnumerable<string> ArgumentFragments()
    {
        const int FragmentLength = 8;
        for (var i = 0; i < Arguments.Length; i += FragmentLength)
        {
            yield return Arguments.Substring(i, Math.Min(FragmentLength, Arguments.Length - i));
        }
    }
}
