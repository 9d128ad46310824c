using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

/// <summary>The profile keys of the thinking switch and history hygiene: parsed, checked, described, never forwarded.</summary>
public sealed class ThinkingProfileTests
{
    [Fact]
    public void Keys_Parsed_AndDescribed()
    {
        var profile = ProfileTestHelper.Single("model=m,thinking=low,server_kind=sglang,strip_history_thinking=false,keep_tool_call_reasoning=true");

        Assert.Equal(ThinkingSwitch.Low, profile.Thinking);
        Assert.Equal(ServerKind.SGLang, profile.ServerKind);
        Assert.False(profile.StripHistoryThinking);
        Assert.True(profile.KeepToolCallReasoning);
        Assert.Empty(profile.Entries);
        Assert.Equal("m; thinking low, server_kind sglang, strip_history_thinking false, keep_tool_call_reasoning true", profile.Describe());
    }

    [Theory]
    [InlineData("model=m,thinking=maybe", "LLM_PARAMS: profile 1 (model=m), key \"thinking\": expects off, on, low, medium or high, got \"maybe\"")]
    [InlineData("model=m,thinking=Off", "LLM_PARAMS: profile 1 (model=m), key \"thinking\": expects off, on, low, medium or high, got \"Off\"")]
    [InlineData("model=m,server_kind=tgi", "LLM_PARAMS: profile 1 (model=m), key \"server_kind\": expects llamacpp, vllm, sglang, ollama or openai, got \"tgi\"")]
    [InlineData("model=m,strip_history_thinking=nope", "LLM_PARAMS: profile 1 (model=m), key \"strip_history_thinking\": expects true or false, got \"nope\"")]
    [InlineData("model=m,thinking?=off", "LLM_PARAMS: profile 1 (model=m), key \"thinking\": is a proxy setting: it takes key=value, not key?=value or !key")]
    [InlineData("model=m,thinking=off,chat_template_kwargs.enable_thinking=true", "LLM_PARAMS: profile 1 (model=m), key \"chat_template_kwargs.enable_thinking\": is a field thinking= sets itself; remove one of the two")]
    [InlineData("model=m,reasoning_effort=high,thinking=off", "LLM_PARAMS: profile 1 (model=m), key \"reasoning_effort\": is a field thinking= sets itself; remove one of the two")]
    [InlineData("model=m,thinking=on,!think", "LLM_PARAMS: profile 1 (model=m), key \"think\": is a field thinking= sets itself; remove one of the two")]
    [InlineData("model=m,thinking=on,chat_template_kwargs={}", "LLM_PARAMS: profile 1 (model=m), key \"chat_template_kwargs\": is a field thinking= sets itself; remove one of the two")]
    public void BadValuesAndConflicts_StopStartUpNamingTheKey(string llmParams, string message) =>
        Assert.Equal(message, ProfileTestHelper.ParseError(llmParams));

    [Fact]
    public void WithoutThinking_TemplateKwargsEntriesStillAllowed()
    {
        var profile = ProfileTestHelper.Single("model=m,chat_template_kwargs.enable_thinking=false,server_kind=vllm");

        Assert.Single(profile.Entries);
        Assert.Null(profile.Thinking);
    }

    [Fact]
    public void SwitchKeysOnly_BodyNotRewrittenByTheProfileAlone()
    {
        var profile = ProfileTestHelper.Single("model=m,thinking=off,server_kind=vllm");

        Assert.False(profile.RewritesRequest);
        Assert.Equal("""{"model":"m"}""", ProfileTestHelper.Rewrite("model=m,thinking=off,server_kind=vllm", """{"model":"m"}"""));
    }
}
