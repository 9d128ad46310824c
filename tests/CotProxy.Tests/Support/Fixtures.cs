namespace CotProxy.Tests.Support;

/// <summary>
/// The recorded real-server response bodies in tests/CotProxy.Tests/Fixtures (INDEX.md there says where each came
/// from), copied beside the test assembly by the project file. A body that is not there fails the test that reads
/// it: a replay test without its input proves nothing, so it must not pass or skip.
/// </summary>
internal static class Fixtures
{
    /// <summary>The folder beside the test assembly that holds the copied bodies.</summary>
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>The path of a recorded body; throws, failing the test, when the file is missing.</summary>
    public static string PathOf(string name)
    {
        string path = Path.Combine(Directory, name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Recorded body '{name}' not found at {path}. The bodies live in tests/CotProxy.Tests/Fixtures and the "
                + "test project copies them to its output folder; restore the file there (Fixtures/INDEX.md lists them).",
                path);
        }

        return path;
    }

    public static byte[] ReadBytes(string name) => File.ReadAllBytes(PathOf(name));
}
