using System.Runtime.CompilerServices;
using CotProxy.Configuration;

namespace CotProxy.Tests.Docs;

public class ReadmeTests
{
    [Fact]
    public void Readme_EverySetting_InConfigurationTable()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        foreach (var setting in SettingsCatalog.All)
        {
            Assert.Contains($"| `{setting.Name}` |", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readme_QuickStart_NamesTheTwoCommands()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        Assert.Contains("dotnet run -- --demo", readme, StringComparison.Ordinal);
        Assert.Contains("dotnet test tests/CotProxy.Tests", readme, StringComparison.Ordinal);
    }

    internal static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
