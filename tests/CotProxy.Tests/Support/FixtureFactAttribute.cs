namespace CotProxy.Tests.Support;

/// <summary>A fact that needs the recorded fixtures; skipped with a clear reason when they are absent.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute()
    {
        if (Fixtures.Directory is null)
        {
            Skip = Fixtures.SkipReason;
        }
    }
}
