namespace CotProxy.Tests.Support;

/// <summary>Tests that reconfigure the process-wide log run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogCollection
{
    public const string Name = "process-wide log";
}
