using System.Reflection;
using CotProxy.Tests.Support;
using NetArchTest.Rules;

namespace CotProxy.Tests;

/// <summary>
/// The folders are layers and dependencies run one way (README, "Architecture"). Each layer names the layers it may
/// use; a type that uses any other fails here, with the type and the rule in the message.
/// </summary>
public class ArchitectureTests
{
    /// <summary>Each layer (a namespace, one per folder) and the layers it may use. The same table is in the README.</summary>
    internal static readonly (string Layer, string[] MayUse)[] Rules =
    [
        ("CotProxy.Buffers", []),
        ("CotProxy.Logging", ["CotProxy.Buffers"]),
        ("CotProxy.Filtering", ["CotProxy.Buffers"]),
        ("CotProxy.Profiles", ["CotProxy.Buffers", "CotProxy.Logging"]),
        ("CotProxy.Configuration", ["CotProxy.Buffers", "CotProxy.Logging", "CotProxy.Filtering", "CotProxy.Profiles"]),
        ("CotProxy.Http.Server", ["CotProxy.Buffers", "CotProxy.Logging"]),
        ("CotProxy.Http.Forwarding", ["CotProxy.Http.Server", "CotProxy.Buffers", "CotProxy.Logging"]),
        ("CotProxy.Api", ["CotProxy.Http.Server", "CotProxy.Http.Forwarding", "CotProxy.Filtering", "CotProxy.Profiles", "CotProxy.Buffers", "CotProxy.Logging"]),
        ("CotProxy.Demo", ["CotProxy.Http.Server", "CotProxy.Api", "CotProxy.Buffers", "CotProxy.Logging"]),
    ];

    // The composition root: Program and ProxyHost may use every layer, and no layer may use them.
    private static readonly string[] s_compositionRoot = ["CotProxy.Program", "CotProxy.ProxyHost"];

    [Fact]
    public void Layers_ProxyAssembly_UseOnlyWhatTheirRuleAllows()
    {
        var violations = Violations(typeof(ProxyHost).Assembly);
        Assert.True(violations.Count == 0, "Layer rule broken:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Layers_DeliberateWrongImport_IsReported()
    {
        // The test assembly holds one type that breaks a rule on purpose (below): the check must name it.
        var violations = Violations(typeof(ArchitectureTests).Assembly);
        Assert.Contains(violations, v => v.Contains("CotProxy.Http.Server.DeliberateLayerViolation", StringComparison.Ordinal));
    }

    [Fact]
    public void Layers_EveryProxyType_BelongsToALayer()
    {
        var layers = Rules.Select(r => r.Layer).Append("CotProxy").ToHashSet();
        var strays = typeof(ProxyHost).Assembly.GetTypes()
            .Where(t => t.Namespace?.StartsWith("CotProxy", StringComparison.Ordinal) == true && !layers.Contains(t.Namespace))
            .Select(t => t.FullName)
            .ToList();
        Assert.True(strays.Count == 0, "Types outside every layer (add the folder to the rules and the README): " + string.Join(", ", strays));
    }

    [Fact]
    public void CompositionRoot_HoldsOnlyProgramAndHost()
    {
        var root = typeof(ProxyHost).Assembly.GetTypes()
            .Where(t => t.Namespace == "CotProxy" && !t.IsNested && !t.Name.StartsWith('<'))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal);
        Assert.Equal(s_compositionRoot, root);
    }

    [Fact]
    public void Readme_ArchitectureTable_MatchesTheRules()
    {
        var readme = File.ReadAllLines(RepositoryFile.PathOf("README.md"));
        var start = Array.IndexOf(readme, "## Architecture");
        Assert.True(start >= 0, "README has no '## Architecture' section");
        var documented = new Dictionary<string, string[]>();
        foreach (var line in readme.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || !cells[1].StartsWith('`') || cells[1].Contains(".cs", StringComparison.Ordinal))
            {
                continue;
            }

            var layer = "CotProxy." + cells[1].Trim('`').TrimEnd('/').Replace('/', '.');
            var mayUse = cells[3] == "nothing" ? [] : cells[3].Split(',', StringSplitOptions.TrimEntries)
                .Select(u => "CotProxy." + u.Split(' ')[0].Replace('/', '.'))
                .ToArray();
            documented[layer] = mayUse;
        }

        Assert.Equal(Rules.Select(r => r.Layer).Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));
        foreach (var (layer, mayUse) in Rules)
        {
            Assert.True(mayUse.Order(StringComparer.Ordinal).SequenceEqual(documented[layer].Order(StringComparer.Ordinal)), $"README row for {layer} says it may use [{string.Join(", ", documented[layer])}]; the rule says [{string.Join(", ", mayUse)}]");
        }
    }

    [Fact]
    public void SourceFolders_EachOneALayer()
    {
        var root = RepositoryFile.Root;
        var skipped = new[] { "tests", "bench", "fuzz", "bin", "obj", "scripts", "docs", "artifacts", "out" };
        var folders = Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, Path.GetDirectoryName(f)!))
            .Where(d => d != "." && !skipped.Contains(d.Split(Path.DirectorySeparatorChar)[0]) && !d.StartsWith('.'))
            .Select(d => "CotProxy." + d.Replace(Path.DirectorySeparatorChar, '.'))
            .Distinct()
            .Order(StringComparer.Ordinal);
        Assert.Equal(Rules.Select(r => r.Layer).Order(StringComparer.Ordinal), folders);
    }

    private static List<string> Violations(Assembly assembly)
    {
        var all = Rules.Select(r => r.Layer).ToArray();
        var violations = new List<string>();
        foreach (var (layer, mayUse) in Rules)
        {
            var forbidden = all.Where(l => l != layer && !mayUse.Contains(l)).Concat(s_compositionRoot).ToArray();
            var result = Types.InAssembly(assembly).That().ResideInNamespace(layer).Should().NotHaveDependencyOnAny(forbidden).GetResult();
            if (!result.IsSuccessful)
            {
                violations.AddRange(result.FailingTypes.Select(t => $"{t.FullName} ({layer}) uses a layer outside [{string.Join(", ", mayUse)}]"));
            }
        }

        return violations;
    }
}
