namespace CotProxy.Fuzz.Targets;

/// <summary>A target's oracle saw a failure other than a crash: a split-dependent result, a leaked thought, an allocation past the budget.</summary>
internal sealed class FuzzFailureException : Exception
{
    public FuzzFailureException()
    {
    }

    public FuzzFailureException(string message)
        : base(message)
    {
    }

    public FuzzFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
