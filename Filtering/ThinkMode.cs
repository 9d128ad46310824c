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
}
