using System.Text;
using CotProxy.Profiles;

namespace CotProxy.Tests.Profiles;

/// <summary>History hygiene in the request rewrite (README, "History: thinking in earlier turns"): exact bodies.</summary>
public sealed class HistoryHygieneTests
{
    private static readonly HistoryRule s_think = new([("<think>", "</think>")], startsOpen: false, keepToolCallReasoning: false);

    private static string? Rewrite(string body, HistoryRule? rule = null, ModelProfile? profile = null, List<string>? changes = null)
    {
        var extras = new RequestExtras { History = rule ?? s_think };
        if (!RequestRewriter.TryRewrite(Encoding.UTF8.GetBytes(body), profile ?? ModelProfile.None, extras, changes, out var rewritten))
        {
            return null;
        }

        using (rewritten)
        {
            return Encoding.UTF8.GetString(rewritten.WrittenSpan);
        }
    }

    [Fact]
    public void EarlierAssistantTurn_InlineBlockAndReasoningFieldsRemoved_OthersKept()
    {
        var changes = new List<string>();
        string? body = Rewrite("""
            {"model":"m","messages":[{"role":"user","content":"<think>mine</think>q"},{"role":"assistant","content":"<think>\nplan\n</think>\n\nAnswer one.","reasoning_content":"plan","reasoning":"plan","thinking":"plan"},{"role":"user","content":"again"}]}
            """, changes: changes);

        Assert.Equal("""{"model":"m","messages":[{"role":"user","content":"<think>mine</think>q"},{"role":"assistant","content":"Answer one."},{"role":"user","content":"again"}]}""", body);
        Assert.Contains("messages[1].content: thinking removed (earlier assistant turn)", changes);
        Assert.Contains("messages[1].reasoning_content: removed (earlier assistant turn)", changes);
    }

    [Fact]
    public void AnthropicThinkingBlocks_EarlierTurn_RemovedTextStripped()
    {
        // Block shapes: Anthropic's "Extended thinking" docs (thinking with its signature, redacted_thinking with its data).
        var changes = new List<string>();
        string? body = Rewrite("""
            {"model":"claude","max_tokens":1024,"system":"s","messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"plan","signature":"EqQB"},{"type":"redacted_thinking","data":"EmwK"},{"type":"text","text":"<think>x</think>Answer é"}]},{"role":"user","content":[{"type":"text","text":"again"}]}]}
            """, changes: changes);

        Assert.Equal("""{"model":"claude","max_tokens":1024,"system":"s","messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"text","text":"Answer é"}]},{"role":"user","content":[{"type":"text","text":"again"}]}]}""", body);
        Assert.Contains("messages[1].content: thinking blocks removed (earlier assistant turn)", changes);
    }

    [Fact]
    public void AnthropicToolUseTurn_KeptWhole_WhenKeepToolCallReasoning()
    {
        // Anthropic requires the thinking blocks of a tool_use turn back ("Extended thinking", preserving thinking blocks).
        var rule = new HistoryRule([("<think>", "</think>")], startsOpen: false, keepToolCallReasoning: true);
        string turn = """{"role":"assistant","content":[{"type":"thinking","thinking":"use f","signature":"EqQB"},{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]}""";

        Assert.Null(Rewrite("""{"messages":[{"role":"user","content":"q"},""" + turn + """,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"15"}]}]}""", rule));
        Assert.Equal(
            """{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"15"}]}]}""",
            Rewrite("""{"messages":[{"role":"user","content":"q"},""" + turn + """,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"15"}]}]}"""));
    }

    [Fact]
    public void LastAssistantTurn_IsAPrefill_Kept()
    {
        Assert.Null(Rewrite("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"<think>start","reasoning_content":"r"}]}"""));
    }

    [Fact]
    public void NothingToRemove_BodySentAsItCame()
    {
        Assert.Null(Rewrite("""{ "messages" : [ {"role":"assistant","content":"plain answer"}, {"role":"user","content":"<think>q</think>"} ] }"""));
    }

    [Fact]
    public void EscapedTags_AndTextParts_Stripped()
    {
        string? body = Rewrite("""{"messages":[{"role":"assistant","content":[{"type":"text","text":"\u003cthink\u003ex\u003c/think\u003e A\u00e9"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"<think>y</think>B"}]},{"role":"user","content":"q"}]}""");

        Assert.Equal("""{"messages":[{"role":"assistant","content":[{"type":"text","text":"Aé"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"B"}]},{"role":"user","content":"q"}]}""", body);
    }

    [Fact]
    public void ToolCallTurn_KeptWhole_WhenKeepToolCallReasoning()
    {
        var keep = new HistoryRule([("<think>", "</think>")], startsOpen: false, keepToolCallReasoning: true);
        const string toolTurn = """{"role":"assistant","content":"<think>t</think>call","reasoning_content":"why","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}""";
        const string plainTurn = """{"role":"assistant","content":"x","reasoning_content":"r2","tool_calls":[]}""";

        string? body = Rewrite($$"""{"messages":[{{toolTurn}},{"role":"tool","tool_call_id":"c1","content":"42"},{{plainTurn}},{"role":"user","content":"q"}]}""", keep);

        Assert.Equal($$"""{"messages":[{{toolTurn}},{"role":"tool","tool_call_id":"c1","content":"42"},{"role":"assistant","content":"x","tool_calls":[]},{"role":"user","content":"q"}]}""", body);
    }

    [Fact]
    public void ToolCallTurn_Stripped_ByDefault()
    {
        string? body = Rewrite("""{"messages":[{"role":"assistant","content":null,"reasoning_content":"why","tool_calls":[{"id":"c1"}]},{"role":"tool","content":"42"}]}""");

        Assert.Equal("""{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1"}]},{"role":"tool","content":"42"}]}""", body);
    }

    [Theory]
    [InlineData("<think>a</think>b<think>c</think>\n d", false, "bd")]
    [InlineData("<think>cut off", false, "")]
    [InlineData("pre <think>x</think>  post", false, "pre post")]
    [InlineData("\n</think>\n\nAnswer", false, "Answer")]
    [InlineData("all thought\n</think>\n\nAnswer", true, "Answer")]
    [InlineData("kept text\n</think>\n\nAnswer", false, "kept textAnswer")]
    public void Strip_MatchesTheFiltersRule(string content, bool startsOpen, string expected)
    {
        var rule = new HistoryRule([("<think>", "</think>")], startsOpen, keepToolCallReasoning: false);
        string json = System.Text.Json.JsonSerializer.Serialize(content);

        string? body = Rewrite($$"""{"messages":[{"role":"assistant","content":{{json}}},{"role":"user","content":"q"}]}""", rule);

        Assert.Equal($$"""{"messages":[{"role":"assistant","content":{{System.Text.Json.JsonSerializer.Serialize(expected)}}},{"role":"user","content":"q"}]}""", body);
    }

    [Fact]
    public void ProfileTags_AreTheOnesMatched()
    {
        var rule = new HistoryRule([("<reasoning>", "</reasoning>")], startsOpen: false, keepToolCallReasoning: false);

        string? body = Rewrite("""{"messages":[{"role":"assistant","content":"<think>kept</think><reasoning>gone</reasoning>A"},{"role":"user","content":"q"}]}""", rule);

        Assert.Equal("""{"messages":[{"role":"assistant","content":"<think>kept</think>A"},{"role":"user","content":"q"}]}""", body);
    }

    [Fact]
    public void WithProfileEdits_SuffixAndHistoryInOnePass()
    {
        var profile = ProfileTestHelper.Single("model=m,temperature=0.5,append_to_last_user_message=\\n/no_think");

        string? body = Rewrite("""{"model":"m","messages":[{"role":"assistant","content":"<think>x</think>A","reasoning_content":"x"},{"role":"user","content":"q"}]}""", profile: profile);

        Assert.Equal("""{"model":"m","messages":[{"role":"assistant","content":"A"},{"role":"user","content":"q\n/no_think"}],"temperature":0.5}""", body);
    }

    [Fact]
    public void ProfileThatSetsMessages_ItsOwnMessagesSentAsWritten()
    {
        var profile = ProfileTestHelper.Single("""model=m,messages=[{"role":"assistant","content":"<think>x</think>A"}]""");

        string? body = Rewrite("""{"model":"m","messages":[{"role":"assistant","content":"<think>y</think>B"},{"role":"user","content":"q"}]}""", profile: profile);

        Assert.Equal("""{"model":"m","messages":[{"role":"assistant","content":"<think>x</think>A"}]}""", body);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"assistant","content":"\ud800 <think>x</think>A"},{"role":"user","content":"q"}]}""")]
    [InlineData("""{"messages":[{"role":"assistant","\udc00":1,"content":"<think>x</think>A"},{"role":"user","content":"q"}]}""")]
    public void HalfASurrogatePair_WithoutAProfile_SentAsItCame(string body) => Assert.Null(Rewrite(body));

    [Fact]
    public void HasThinking_CleanHistory_AllocatesNothing()
    {
        byte[] body = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"plain\nanswer","tool_calls":[]},{"role":"user","content":[{"type":"text","text":"again"}]}]}""");
        HistoryHygiene.HasThinking(body, s_think);

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool found = HistoryHygiene.HasThinking(body, s_think);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(found);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SeveralTagFamilies_EachPairMatchedOnItsOwn()
    {
        ThinkTagPair[] pairs =
        [
            new(Encoding.UTF8.GetBytes("<think>"), Encoding.UTF8.GetBytes("</think>")),
            new(Encoding.UTF8.GetBytes("[THINK]"), Encoding.UTF8.GetBytes("[/THINK]")),
        ];

        string? kept = ThinkBlocks.Strip("[THINK]a </think> b[/THINK]\nOne <think>c [/THINK] d</think> two"u8, pairs, startsOpen: false);

        Assert.Equal("One two", kept);
    }
}
