namespace CotProxy.Tests.Support;

/// <summary>
/// A theory that reads recorded bodies through <see cref="Fixtures"/>. It never skips: the bodies are in the
/// repository, and a missing one fails the test. Kept so the tests in Filtering/ compile unchanged; new tests use [Theory].
/// </summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute;
