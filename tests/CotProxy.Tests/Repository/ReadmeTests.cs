using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Repository;

public class ReadmeTests
{
    [Fact]
    public void Readme_EverySetting_InConfigurationTable()
    {
        var readme = File.ReadAllText(RepositoryFile.PathOf("README.md"));
        foreach (var setting in SettingsCatalog.All)
        {
            Assert.Contains($"| `{setting.Name}` |", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Readme_QuickStart_NamesTheTwoCommands()
    {
        var readme = File.ReadAllText(RepositoryFile.PathOf("README.md"));
        Assert.Contains("dotnet run -- --demo", readme, StringComparison.Ordinal);
        Assert.Contains("dotnet test tests/CotProxy.Tests", readme, StringComparison.Ordinal);
    }
}
