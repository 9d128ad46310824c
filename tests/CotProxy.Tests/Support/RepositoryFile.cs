namespace CotProxy.Tests.Support;

/// <summary>Reads the files shipped beside the project (README.md, .env.example, docker-compose.yml, Dockerfile).</summary>
internal static class RepositoryFile
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string PathOf(string name) => Path.Combine(Root, name);

    public static string[] Lines(string name) => File.ReadAllLines(PathOf(name));

    /// <summary>The folder holding CotProxy.csproj, found upwards from the test assembly.</summary>
    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CotProxy.csproj")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("CotProxy.csproj not found above " + AppContext.BaseDirectory);
    }
}
