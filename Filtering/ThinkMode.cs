namespace CotProxy.Filtering;

/// <summary>What happens to the model's chain of thought in a response.</summary>
internal enum ThinkMode
{
    /// <summary>Thinking never reaches the client.</summary>
    Strip,

    /// <summary>Thinking moves into a separate reasoning field beside the answer.</summary>
    Split,

    /// <summary>No thinking filtering at all.</summary>
    Keep,

    /// <summary>Thinking found in tags goes inline at the start of the answer as &lt;think&gt;…&lt;/think&gt;, whatever family it came in.</summary>
    Merge,
}
