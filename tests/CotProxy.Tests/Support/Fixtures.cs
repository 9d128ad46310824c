namespace CotProxy.Tests.Support;

/// <summary>
/// Locates the recorded upstream bodies in shared/fixtures (never copied into the repository):
/// the folder named by COT_FIXTURES_DIR, else the first ancestor of the test binaries holding shared/fixtures.
/// </summary>
internal static class Fixtures
{
    public const string EnvironmentVariable = "COT_FIXTURES_DIR";

    private static readonly Lazy<string?> s_directory = new(Locate);

    /// <summary>The fixtures folder, or null when it is not present on this machine.</summary>
    public static string? Directory => s_directory.Value;

    public static string SkipReason =>
        $"Recorded fixtures not found: set {EnvironmentVariable} or place them in an ancestor's shared/fixtures folder.";

    public static string PathOf(string name)
    {
        string directory = Directory ?? throw new InvalidOperationException(SkipReason);
        return Path.Combine(directory, name);
    }

    public static byte[] ReadBytes(string name) => File.ReadAllBytes(PathOf(name));

    private static string? Locate()
    {
        string? configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return System.IO.Directory.Exists(configured) ? configured : null;
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "fixtures");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
