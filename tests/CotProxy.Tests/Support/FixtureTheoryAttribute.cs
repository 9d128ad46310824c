namespace CotProxy.Tests.Support;

/// <summary>A theory that needs the recorded fixtures; skipped with a clear reason when they are absent.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute()
    {
        if (Fixtures.Directory is null)
        {
            Skip = Fixtures.SkipReason;
        }
    }
}
