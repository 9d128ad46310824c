using static CotProxy.Tests.Profiles.ProfileTestHelper;

namespace CotProxy.Tests.Profiles;

public sealed class PromptSuffixTests
{
    private const string NoThink = @"model=m,append_to_last_user_message=\n\n/no_think";

    [Fact]
    public void Append_StringContent_AtTheEnd()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi\n\n/no_think"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}]}"""));
    }

    [Fact]
    public void Append_ContentParts_OnLastTextPart()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b\n\n/no_think"},{"type":"image_url","image_url":{"url":"data:x"}}]}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"image_url","image_url":{"url":"data:x"}}]}]}"""));
    }

    [Fact]
    public void Append_ContentPartsWithoutText_NewTextPart()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":"\n\n/no_think"}]}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:x"}}]}]}"""));
    }

    [Fact]
    public void Append_ConversationEndingInToolResult_OnLastUserMessage()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":"old"},{"role":"assistant","content":"ok"},{"role":"user","content":"weather?\n\n/no_think"},{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"sunny"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":"old"},{"role":"assistant","content":"ok"},{"role":"user","content":"weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"w","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"sunny"}]}"""));
    }

    [Fact]
    public void Append_ConversationEndingInAssistantPrefill_OnLastUserMessage()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":"write json\n\n/no_think"},{"role":"assistant","content":"{"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":"write json"},{"role":"assistant","content":"{"}]}"""));
    }

    [Fact]
    public void Append_NoUserMessage_UserMessageAdded()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"\n\n/no_think"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"system","content":"sys"}]}"""));
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":"\n\n/no_think"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[]}"""));
    }

    [Fact]
    public void Append_AlreadyEndingWithSuffix_Unchanged()
    {
        const string StringContent = """{"model":"m", "messages":[{"role":"user","content":"hi\n\n/no_think"}]}""";
        const string Parts = """{"model":"m", "messages":[{"role":"user","content":[{"type":"text","text":"hi\n\n/no_think"}]}]}""";
        var changes = new List<string>();

        Assert.Equal(StringContent, Rewrite(NoThink, StringContent, changes));
        Assert.Equal(Parts, Rewrite(NoThink, Parts));
        Assert.Equal(["messages[0].content: already ends with the suffix"], changes);
    }

    [Fact]
    public void Append_OnlyEndingWithSwitchNotWholeSuffix_Appended()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":"hi /no_think\n\n/no_think"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":"hi /no_think"}]}"""));
    }

    [Fact]
    public void Append_UserMessageWithoutContent_ContentSet()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":"\n\n/no_think"}]}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":null}]}"""));
    }

    [Fact]
    public void Append_OllamaChatBody_OnLastUserMessage()
    {
        Assert.Equal(
            """{"model":"m","messages":[{"role":"user","content":"hi\n\n/no_think","images":["aGk="]}],"options":{"num_ctx":4096}}""",
            Rewrite(NoThink, """{"model":"m","messages":[{"role":"user","content":"hi","images":["aGk="]}],"options":{"num_ctx":4096}}"""));
    }

    [Fact]
    public void Append_OllamaGenerateBody_AtEndOfPrompt()
    {
        Assert.Equal(
            """{"model":"m","prompt":"why is the sky blue?\n\n/no_think"}""",
            Rewrite(NoThink, """{"model":"m","prompt":"why is the sky blue?"}"""));
    }

    [Fact]
    public void Append_PromptList_LeftAlone()
    {
        const string Body = """{"model":"m","prompt":["a","b"]}""";

        Assert.Equal(Body, Rewrite(NoThink, Body));
    }

    [Fact]
    public void Append_NeitherMessagesNorPrompt_Unchanged()
    {
        const string Body = """{"model":"m","input":"embed me"}""";

        Assert.Equal(Body, Rewrite(NoThink, Body));
    }
}
