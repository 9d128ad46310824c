using CotProxy.Api;
using CotProxy.Filtering;
using CotProxy.Profiles;

namespace CotProxy.Tests.Api;

public class ResponsePolicyTests
{
    private static ResponsePolicy Policy(string? llmParams, bool global = false, string? tag = null, string? endTag = null, List<string>? warnings = null) =>
        new(ProfileSet.Parse(llmParams, warnings ?? []), global, tag, endTag);

    [Fact]
    public void For_NoProfileFilteringOff_Untouched()
    {
        Assert.Null(Policy(null).For(null, "m"));
    }

    [Fact]
    public void For_NoProfileGlobalOn_StripWithDefaultTags()
    {
        var options = Policy(null, global: true).For(null, "m");
        Assert.NotNull(options);
        Assert.Equal(ThinkMode.Strip, options.Mode);
        Assert.Equal("<think>", options.StartTag);
        Assert.Equal("</think>", options.EndTag);
        Assert.Null(options.ClientModelName);
    }

    [Theory]
    [InlineData("Split")]
    [InlineData("Strip")]
    public void For_ThinkModeSet_EveryFilteredModelWithoutAModeGetsIt(string modeName)
    {
        var mode = Enum.Parse<ThinkMode>(modeName);
        var set = ProfileSet.Parse("model=a,temperature=1;model=b,think_mode=strip;model=c,enable_think_tag_filtering=true;model=d,think_mode=split", []);
        var policy = new ResponsePolicy(set, true, null, null, mode);

        Assert.Equal(mode, policy.For(null, "other")!.Mode);
        Assert.Equal(mode, policy.For(set.Find("a"), "a")!.Mode);
        Assert.Equal(ThinkMode.Strip, policy.For(set.Find("b"), "b")!.Mode);
        Assert.Equal(mode, policy.For(set.Find("c"), "c")!.Mode);
        Assert.Equal(ThinkMode.Split, policy.For(set.Find("d"), "d")!.Mode);
    }

    [Fact]
    public void For_ThinkModeWithFilteringOff_DoesNotTurnItOn()
    {
        var set = ProfileSet.Parse("model=a,temperature=1;model=c,enable_think_tag_filtering=true", []);
        var policy = new ResponsePolicy(set, false, null, null, ThinkMode.Split);

        Assert.Null(policy.For(null, "other"));
        Assert.Null(policy.For(set.Find("a"), "a"));
        Assert.Equal(ThinkMode.Split, policy.For(set.Find("c"), "c")!.Mode);
    }

    [Fact]
    public void For_GlobalTagsWithEscapes_Decoded()
    {
        var options = Policy(null, global: true, tag: "\\u003creasoning\\u003e", endTag: "\\u003c/reasoning\\u003e\\n").For(null, null);
        Assert.Equal("<reasoning>", options!.StartTag);
        Assert.Equal("</reasoning>\n", options.EndTag);
    }

    [Fact]
    public void Constructor_GlobalTagBadEscape_FormatExceptionNamesSetting()
    {
        var ex = Assert.Throws<FormatException>(() => Policy(null, global: true, tag: "\\q"));
        Assert.StartsWith("THINK_TAG: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_ProfileFilteringOnWithItsTags_ProfileTagsWin()
    {
        var set = ProfileSet.Parse("model=q,enable_think_tag_filtering=true,think_tag_start=\\u003cthink\\u003e,think_tag_end=\\u003c/think\\u003e\\n\\n", []);
        var options = new ResponsePolicy(set, false, "<x>", "</x>").For(set.Find("q"), "q");
        Assert.Equal(ThinkMode.Strip, options!.Mode);
        Assert.Equal("<think>", options.StartTag);
        Assert.Equal("</think>\n\n", options.EndTag);
    }

    [Fact]
    public void For_ProfileDisablesWhileGlobalOn_Untouched()
    {
        var set = ProfileSet.Parse("model=q,enable_think_tag_filtering=false", []);
        Assert.Null(new ResponsePolicy(set, true, null, null).For(set.Find("q"), "q"));
    }

    [Fact]
    public void For_ProfileWithoutFilterKeysGlobalOn_GlobalApplies()
    {
        var set = ProfileSet.Parse("model=q,temperature=0.5", []);
        Assert.Equal(ThinkMode.Strip, new ResponsePolicy(set, true, null, null).For(set.Find("q"), "q")!.Mode);
    }

    [Fact]
    public void For_ThinkModeSplitAlone_TurnsFilterOnWithField()
    {
        var set = ProfileSet.Parse("model=q,think_mode=split,reasoning_field=reasoning,think_starts_open=true", []);
        var options = new ResponsePolicy(set, false, null, null).For(set.Find("q"), "q");
        Assert.Equal(ThinkMode.Split, options!.Mode);
        Assert.Equal("reasoning", options.ReasoningField);
        Assert.True(options.StartsOpen);
    }

    [Fact]
    public void For_PseudoModelWithUpstreamName_RenamesBackToPseudo()
    {
        var set = ProfileSet.Parse("model=Qwen3-Clean,upstream_model_name=qwen3:14b", []);
        var options = new ResponsePolicy(set, false, null, null).For(set.Find("Qwen3-Clean"), "Qwen3-Clean");
        Assert.Equal(ThinkMode.Keep, options!.Mode);
        Assert.Equal("Qwen3-Clean", options.ClientModelName);
    }

    [Fact]
    public void For_WildcardWithUpstreamName_RenamesToWhatTheClientAsked()
    {
        var set = ProfileSet.Parse("model=*,upstream_model_name=real,enable_think_tag_filtering=true", []);
        var policy = new ResponsePolicy(set, false, null, null);
        Assert.Equal("gpt-4", policy.For(set.Find("gpt-4"), "gpt-4")!.ClientModelName);
        Assert.Equal("other", policy.For(set.Find("other"), "other")!.ClientModelName);
    }

    [Fact]
    public void For_ProfileOnlyKeepsThinking_Untouched()
    {
        var set = ProfileSet.Parse("model=q,think_mode=keep", []);
        Assert.Null(new ResponsePolicy(set, true, null, null).For(set.Find("q"), "q"));
    }

    [Fact]
    public void Describe_StripProfile_NamesModeAndTags()
    {
        var set = ProfileSet.Parse("model=q,enable_think_tag_filtering=true,think_starts_open=true", []);
        Assert.Equal("responses: thinking strip (tags auto, starts open)", new ResponsePolicy(set, false, null, null).Describe(set.Profiles[0]));
    }

    [Theory]
    [InlineData("model=q,think_mode=split,think_tags=mistral", "responses: thinking split into reasoning_content (tags mistral)")]
    [InlineData("model=q,think_mode=strip,think_tags=harmony,think_tags_anywhere=true", "responses: thinking strip (tags harmony, anywhere)")]
    [InlineData("model=q,think_mode=strip,think_tag_start=<r>,think_tag_end=</r>", "responses: thinking strip (tags <r>…</r>)")]
    [InlineData("model=q,think_mode=strip,think_tag_start=<seed:think>,think_tag_end=</seed:think>", "responses: thinking strip (tags seed)")]
    public void Describe_ThinkTags_NamesTheFamily(string llmParams, string expected)
    {
        var set = ProfileSet.Parse(llmParams, []);
        Assert.Equal(expected, new ResponsePolicy(set, false, null, null).Describe(set.Profiles[0]));
    }

    [Fact]
    public void For_NoTagsSetAnywhere_AutoStartAnchored()
    {
        var set = ProfileSet.Parse("model=q,think_mode=strip", []);
        var policy = new ResponsePolicy(set, true, null, null);
        Assert.Equal("auto", policy.For(null, "other")!.Tags.Describe());
        Assert.Equal("auto", policy.For(set.Find("q"), "q")!.Tags.Describe());
    }

    [Fact]
    public void For_ThinkTagsAndGlobalCustomTags_ProfileFamilyWins()
    {
        var set = ProfileSet.Parse("model=q,think_mode=strip,think_tags=thought;model=r,think_mode=strip", []);
        var policy = new ResponsePolicy(set, false, "<x>", "</x>");
        Assert.Equal("thought", policy.For(set.Find("q"), "q")!.Tags.Describe());
        Assert.Equal("<x>…</x>", policy.For(set.Find("r"), "r")!.Tags.Describe());
    }
}
