using System.Text;
using CotProxy.Profiles;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Repository;

public class ReadmeProfileExampleTests
{
    [Fact]
    public void Readme_Qwen3ProfileExample_ParsesAndRewritesAsDescribed()
    {
        var readme = File.ReadAllText(RepositoryFile.PathOf("README.md"));
        var start = readme.IndexOf("LLM_PARAMS='", StringComparison.Ordinal) + "LLM_PARAMS='".Length;
        var value = readme[start..readme.IndexOf('\'', start)];
        var warnings = new List<string>();
        var profiles = ProfileSet.Parse(value, warnings);

        Assert.Empty(warnings);
        Assert.Equal(["Qwen3-Thinking", "Qwen3-Clean"], profiles.Profiles.Select(p => p.Name));
        var clean = profiles.Find("Qwen3-Clean")!;
        Assert.Equal("qwen3:14b", clean.UpstreamModelName);
        Assert.True(clean.EnableThinkTagFiltering);

        var body = Encoding.UTF8.GetString(RequestRewriter.Rewrite("""{"model":"Qwen3-Clean","messages":[{"role":"user","content":"Hi"}]}"""u8, clean));

        Assert.Contains("\"model\":\"qwen3:14b\"", body, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"Hi\\n\\n/no_think\"", body, StringComparison.Ordinal);
        Assert.Contains("\"temperature\":0.7", body, StringComparison.Ordinal);
    }
}
