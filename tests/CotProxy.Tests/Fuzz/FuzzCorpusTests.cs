using CotProxy.Filtering;
using CotProxy.Fuzz.Targets;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Fuzz;

/// <summary>
/// Every seed in fuzz/corpus/TARGET and every saved finding in fuzz/regressions/TARGET, run through the same target
/// function the fuzzer runs (fuzz/CotProxy.Fuzz/Targets): a crash, a split-dependent result, a leaked thought or an
/// allocation past the budget fails here as it fails under afl-fuzz.
/// </summary>
public sealed class FuzzCorpusTests
{
    public static TheoryData<string, string> Inputs()
    {
        var inputs = new TheoryData<string, string>();
        foreach (var folder in new[] { "fuzz/corpus", "fuzz/regressions" })
        {
            foreach (var target in FuzzTargets.All.Keys.Order(StringComparer.Ordinal))
            {
                var directory = RepositoryFile.PathOf(Path.Combine(folder, target));
                if (!Directory.Exists(directory))
                {
                    continue;
                }

                foreach (var file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
                {
                    inputs.Add(target, Path.GetRelativePath(RepositoryFile.Root, file));
                }
            }
        }

        return inputs;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Target_SavedInput_HandledAsDocumented(string target, string file)
    {
        FuzzTargets.Run(target, File.ReadAllBytes(RepositoryFile.PathOf(file)));
    }

    [Fact]
    public void Corpus_EveryTarget_HasSeeds()
    {
        foreach (var target in FuzzTargets.All.Keys)
        {
            var directory = RepositoryFile.PathOf(Path.Combine("fuzz/corpus", target));
            Assert.True(Directory.Exists(directory) && Directory.GetFiles(directory).Length > 0, $"no seeds for the fuzz target {target} in {directory}");
        }
    }

    [Fact]
    public void RewriterTarget_OutputWithMarker_Fails()
    {
        // The oracle the script inputs rely on: the marker anywhere in the output, even cut from its event, is a failure.
        var exception = Assert.Throws<FuzzFailureException>(() => RewriterTarget.CheckNoThought("data: {}\n\nxSECRETTHOUGHT\"}\n\n"u8.ToArray(), "a test"));
        Assert.Contains("thought text", exception.Message, StringComparison.Ordinal);
        RewriterTarget.CheckNoThought("data: {\"content\":\"SECRET THOUGHT\"}\n\n"u8.ToArray(), "a test");
    }

    [Theory]
    [InlineData("sse", (int)ResponseFraming.EventStream)]
    [InlineData("ndjson", (int)ResponseFraming.Ndjson)]
    [InlineData("json", (int)ResponseFraming.JsonBody)]
    public void RewriterScript_Seeds_WriteTheMarker(string target, int framing)
    {
        // A script seed whose stream never held the marker would test nothing: each one writes it somewhere.
        var scripts = Directory.GetFiles(RepositoryFile.PathOf(Path.Combine("fuzz/corpus", target)), "script-*");
        Assert.NotEmpty(scripts);
        foreach (var file in scripts)
        {
            var body = RewriterScript.Build((ResponseFraming)framing, File.ReadAllBytes(file)).Body;
            Assert.True(body.AsSpan().IndexOf(RewriterScript.MarkerUtf8) >= 0, $"{file} writes no thought marker");
        }
    }
}
