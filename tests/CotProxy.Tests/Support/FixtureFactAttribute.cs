namespace CotProxy.Tests.Support;

/// <summary>
/// A fact that reads recorded bodies through <see cref="Fixtures"/>. It never skips: the bodies are in the repository,
/// and a missing one fails the test. Kept so the tests in Filtering/ compile unchanged; new tests use [Fact].
/// </summary>
public sealed class FixtureFactAttribute : FactAttribute;
