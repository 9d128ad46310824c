using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// The built-in tag families, auto detection and start-anchoring. Every case runs whole, split at every byte and one
/// byte at a time, with the family named and with auto, and must give the same answer and thinking.
/// </summary>
public sealed class ThinkTagFamilyTests
{
    // (family, starts open, model output, answer, thinking)
    public static TheoryData<string, bool, string, string, string> ParserCases => new()
    {
        // vLLM tests/reasoning/test_seedoss_reasoning_parser.py: WITH_START_TOKEN, SIMPLE_REASONING, MULTIPLE_LINES, ONLY_END_TOKEN
        // (the last three have no start token: the template opened the block, think_starts_open=true here), NO_TOKENS.
        { "seed", false, "<seed:think>This is a reasoning section</seed:think>This is the rest", "This is the rest", "This is a reasoning section" },
        { "seed", true, "This is a reasoning section</seed:think>This is the rest", "This is the rest", "This is a reasoning section" },
        { "seed", true, "This\nThat</seed:think>This is the rest\nThat", "This is the rest\nThat", "This\nThat" },
        { "seed", true, "Some reasoning</seed:think>This is the rest", "This is the rest", "Some reasoning" },
        { "seed", false, "This is just content without any reasoning tokens", "This is just content without any reasoning tokens", "" },
        // vLLM tests/reasoning/test_mistral_reasoning_parser.py: REASONING_WITH_THINK, COMPLETE_REASONING_WITH_THINK,
        // MULTIPLE_LINES_WITH_THINK, THINK_NO_END (a block never closed is thinking), SHORTEST_REASONING, NEW_LINE, SIMPLE_REASONING.
        { "mistral", false, "[THINK]This is a reasoning section[/THINK]This is the rest", "This is the rest", "This is a reasoning section" },
        { "mistral", false, "[THINK]This is a reasoning section[/THINK]", "", "This is a reasoning section" },
        { "mistral", false, "[THINK]This\nThat[/THINK]This is the rest\nThat", "This is the rest\nThat", "This\nThat" },
        { "mistral", false, "[THINK]This is a reasoning section", "", "This is a reasoning section" },
        { "mistral", false, "[/THINK]This is the rest", "This is the rest", "" },
        // NEW_LINE: vLLM keeps the newline after [/THINK] in the content; ours drops whitespace right after a removed block.
        { "mistral", false, "\n[THINK]This is a reasoning section[/THINK]\nThis is the rest", "This is the rest", "This is a reasoning section" },
        { "mistral", true, "This is a reasoning section[/THINK]This is the rest", "This is the rest", "This is a reasoning section" },
        // llama.cpp tests/test-chat-parser.cpp test_gpt_oss_harmony_format: analysis ended by the final header, the final
        // message ended by <|end|> or by nothing.
        { "harmony", false, "<|channel|>analysis<|message|>Let me think about this...<|start|>assistant<|channel|>final<|message|>The answer is 42<|end|>", "The answer is 42", "Let me think about this..." },
        { "harmony", false, "<|channel|>analysis<|message|>Need location info<|start|>assistant<|channel|>final<|message|>Could you specify the location?", "Could you specify the location?", "Need location info" },
        // vLLM vllm/reasoning/gptoss_reasoning_parser.py: analysis closed by <|end|>, then the final channel's header.
        { "harmony", false, "<|channel|>analysis<|message|>User asks.<|end|><|start|>assistant<|channel|>final<|message|>Hi!<|return|>", "Hi!", "User asks." },
        { "harmony", false, "<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>analysis<|message|>b<|end|><|start|>assistant<|channel|>final<|message|>Done", "Done", "ab" },
        { "harmony", false, "<|channel|>final<|message|>No analysis", "No analysis", "" },
        // llama.cpp tests/test-chat-parser.cpp test_reasoning: "<tnk>Cogito</tnk>Ergo sum" with a custom pair is test_custom; the
        // built-in XML-like families behave the same.
        { "thinking", false, "<thinking>Cogito</thinking>Ergo sum", "Ergo sum", "Cogito" },
        { "thought", false, "<thought>Cogito</thought>Ergo sum", "Ergo sum", "Cogito" },
        { "reasoning", false, "<reasoning>Cogito</reasoning>Ergo sum", "Ergo sum", "Cogito" },
        { "think", true, "Cogito</think>Ergo sum", "Ergo sum", "Cogito" },
    };

    // Start-anchored (the default): (family, model output, answer, thinking)
    public static TheoryData<string, string, string, string> AnchoredCases => new()
    {
        { "think", "Hello <think>x</think>", "Hello <think>x</think>", "" },
        { "think", "<think>a</think>Answer <think>b</think> stays", "Answer <think>b</think> stays", "a" },
        { "think", "<think>a</think>\n<think>b</think>\n\nAnswer", "Answer", "ab" },
        { "think", "  \n<think>a</think>Answer", "Answer", "a" },
        { "mistral", "Use [THINK] and [/THINK] like this.", "Use [THINK] and [/THINK] like this.", "" },
        // An end tag alone still ends a thought the template opened (the lone-end rule), unless a start tag came first as text.
        { "think", "Cogito</think>Ergo sum", "CogitoErgo sum", "" },
        { "mistral", "[THINK]a[/THINK]Use [THINK] and [/THINK].", "Use [THINK] and [/THINK].", "a" },
        { "seed", "Explain <seed:think>: a tag.", "Explain <seed:think>: a tag.", "" },
        { "harmony", "Write <|channel|>analysis<|message|> in raw output", "Write <|channel|>analysis<|message|> in raw output", "" },
        { "thinking", "<thinking>a</thinking>x < y and <thinking> is a tag", "x < y and <thinking> is a tag", "a" },
    };

    [Theory]
    [MemberData(nameof(ParserCases))]
    public void Process_ParserCase_NamedFamily(string family, bool startsOpen, string input, string answer, string thinking)
    {
        AssertEverySplit(new ThinkTagSet([Family(family)], anywhere: false), startsOpen, input, answer, thinking);
    }

    [Theory]
    [MemberData(nameof(ParserCases))]
    public void Process_ParserCase_AutoPicksTheFamily(string family, bool startsOpen, string input, string answer, string thinking)
    {
        AssertEverySplit(ThinkTagSet.Auto, startsOpen, input, answer, thinking);
        using var stripper = new ThinkTagStripper(ThinkTagSet.Auto, startsOpen);
        stripper.Process(Encoding.UTF8.GetBytes(input), new ArrayBufferWriter<byte>(), null);
        if (input.Contains('<') || input.Contains('['))
        {
            Assert.Equal(family, stripper.Family?.Name);
        }
    }

    [Theory]
    [MemberData(nameof(AnchoredCases))]
    public void Process_StartAnchored_TagInsideAnswerIsText(string family, string input, string answer, string thinking)
    {
        AssertEverySplit(new ThinkTagSet([Family(family)], anywhere: false), false, input, answer, thinking);
    }

    [Fact]
    public void Process_Anywhere_TagInsideAnswerCounts()
    {
        AssertEverySplit(new ThinkTagSet([Family("think")], anywhere: true), false, "Hello <think>x</think> world", "Hello  world", "x");
        AssertEverySplit(new ThinkTagSet(ThinkTagFamily.BuiltIn, anywhere: true), false, "Hi [THINK]x[/THINK] there", "Hi  there", "x");
    }

    [Fact]
    public void Process_AutoAfterOneFamily_OtherFamiliesAreText()
    {
        AssertEverySplit(ThinkTagSet.Auto, false, "<thinking>a</thinking><think>b</think>Hi", "<think>b</think>Hi", "a");
        AssertEverySplit(new ThinkTagSet(ThinkTagFamily.BuiltIn, anywhere: true), false, "<thinking>a</thinking>Hi [THINK]b[/THINK]", "Hi [THINK]b[/THINK]", "a");
    }

    [Fact]
    public void Process_AutoStartsOpen_EndTagPicksTheFamily()
    {
        AssertEverySplit(ThinkTagSet.Auto, true, "hmm</thought>\n\nAnswer <think>x</think>", "Answer <think>x</think>", "hmm");
    }

    [Fact]
    public void Complete_ResetsTheFamilyForTheNextText()
    {
        using var stripper = new ThinkTagStripper(ThinkTagSet.Auto, startsOpen: false);
        var answer = new ArrayBufferWriter<byte>();
        stripper.Process("<thinking>a</thinking>A"u8, answer, null);
        stripper.Complete(answer, null);
        Assert.Null(stripper.Family);
        stripper.Process("[THINK]b[/THINK]B"u8, answer, null);
        stripper.Complete(answer, null);
        Assert.Equal("AB", Encoding.UTF8.GetString(answer.WrittenSpan));
    }

    [Theory]
    [InlineData("[THINK]why[/THINK]\n\nHi", "<think>why</think>Hi")]
    [InlineData("<|channel|>analysis<|message|>why<|end|><|start|>assistant<|channel|>final<|message|>Hi<|return|>", "<think>why</think>Hi")]
    [InlineData("<thought>\nwhy\n</thought>Hi <thought>x</thought>", "<think>why</think>Hi <thought>x</thought>")]
    [InlineData("<think>unclosed", "<think>unclosed</think>")]
    [InlineData("No thought", "No thought")]
    public void Process_Merge_ThoughtInlineAsThinkTags(string input, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int i = 0; i <= bytes.Length; i++)
        {
            using var stripper = new ThinkTagStripper(ThinkTagSet.Auto, startsOpen: false, merge: true);
            var answer = new ArrayBufferWriter<byte>();
            stripper.Process(bytes.AsSpan(0, i), answer, answer);
            stripper.Process(bytes.AsSpan(i), answer, answer);
            stripper.Complete(answer, answer);
            Assert.Equal(expected, Encoding.UTF8.GetString(answer.WrittenSpan));
        }
    }

    [Fact]
    public void Resolve_UnknownName_FailsNamingTheAcceptedValues()
    {
        var ex = Assert.Throws<FormatException>(() => ThinkTagSet.Resolve("qwen", null, null, anywhere: false));
        Assert.Contains("auto, think, thinking, thought, reasoning, seed, mistral, harmony", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_BuiltInPair_IsThatFamily()
    {
        Assert.Equal("mistral", ThinkTagFamily.Custom("[THINK]", "[/THINK]").Name);
        Assert.Equal(ThinkTagFamily.CustomName, ThinkTagFamily.Custom("<r>", "</r>").Name);
    }

    private static ThinkTagFamily Family(string name) => ThinkTagFamily.TryGet(name, out ThinkTagFamily family) ? family : throw new ArgumentException(name);

    private static void AssertEverySplit(ThinkTagSet tags, bool startsOpen, string input, string answer, string thinking)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        Assert.Equal((answer, thinking), Run(tags, startsOpen, [bytes]));
        Assert.Equal((answer, thinking), Run(tags, startsOpen, [.. bytes.Select(b => new[] { b })]));
        for (int i = 0; i <= bytes.Length; i++)
        {
            Assert.Equal((answer, thinking), Run(tags, startsOpen, [bytes[..i], bytes[i..]]));
        }
    }

    private static (string Answer, string Thinking) Run(ThinkTagSet tags, bool startsOpen, byte[][] chunks)
    {
        using var stripper = new ThinkTagStripper(tags, startsOpen);
        var answer = new ArrayBufferWriter<byte>();
        var thinking = new ArrayBufferWriter<byte>();
        foreach (byte[] chunk in chunks)
        {
            stripper.Process(chunk, answer, thinking);
        }

        stripper.Complete(answer, thinking);
        return (Encoding.UTF8.GetString(answer.WrittenSpan), Encoding.UTF8.GetString(thinking.WrittenSpan));
    }
}
