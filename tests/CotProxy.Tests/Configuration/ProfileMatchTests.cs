using CotProxy.Profiles;

namespace CotProxy.Tests.Configuration;

/// <summary>Which profile a model name finds: exact beats pattern, the longest pattern wins, <c>*</c> last.</summary>
public sealed class ProfileMatchTests
{
    [Theory]
    [InlineData("qwen3-8b", "qwen3-8b")]
    [InlineData("qwen3-14b", "qwen3-1?b")]
    [InlineData("qwen3-32b", "qwen3-*")]
    [InlineData("qwen3-coder-30b", "qwen3-coder-*")]
    [InlineData("llama3", "*")]
    [InlineData("", "default")]
    [InlineData(null, "default")]
    public void Find_ExactThenLongestPatternThenStar(string? model, string expected)
    {
        // Written shortest pattern first, so that the written order cannot be what decides.
        ProfileSet profiles = ProfileSet.Parse("model=*,top_k=1;model=qwen3-*,top_k=2;model=qwen3-coder-*,top_k=3;model=qwen3-1?b,top_k=4;model=qwen3-8b,top_k=5;model=default,top_k=6", []);

        Assert.Equal(expected, profiles.Find(model)?.Name);
    }

    [Fact]
    public void Find_NoStarAndNoMatch_NoProfile()
    {
        ProfileSet profiles = ProfileSet.Parse("model=qwen3-*,top_k=2", []);

        Assert.Null(profiles.Find("llama3"));
        Assert.Null(profiles.Find(null));
    }

    [Fact]
    public void Find_EquallyLongPatterns_FirstWrittenWins()
    {
        ProfileSet profiles = ProfileSet.Parse("model=a-*-x,top_k=1;model=a-b-*,top_k=2", []);

        Assert.Equal("a-*-x", profiles.Find("a-b-x")?.Name);
    }

    [Fact]
    public void Pattern_IsNotAPseudoModel()
    {
        ProfileSet profiles = ProfileSet.Parse("model=qwen3-*,upstream_model_name=q;model=Clean,upstream_model_name=q", []);

        Assert.False(profiles.Get("qwen3-*")!.IsPseudoModel);
        Assert.True(profiles.Get("Clean")!.IsPseudoModel);
    }

    [Theory]
    [InlineData("*", "", true)]
    [InlineData("a*", "a", true)]
    [InlineData("a*b", "axxb", true)]
    [InlineData("a*b", "axxbc", false)]
    [InlineData("*b*", "abc", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("Qwen*", "qwen3", false)]
    [InlineData("a*a*a", "aaaa", true)]
    public void GlobMatches_ShellRules(string pattern, string name, bool expected) =>
        Assert.Equal(expected, ProfileSet.GlobMatches(pattern, name));

    [Theory]
    [InlineData("temprature", "temperature")]
    [InlineData("tempreature", "temperature")]
    [InlineData("top_pp", "top_p")]
    [InlineData("Temperature", "temperature")]
    [InlineData("stpo", "stop")]
    [InlineData("nn", null)]
    [InlineData("top_kk_kk", null)]
    [InlineData("temperature", null)]
    public void NearMiss_WithinTheEditBudget(string key, string? expected) =>
        Assert.Equal(expected, KnownProfileKeys.NearMiss(key));
}
