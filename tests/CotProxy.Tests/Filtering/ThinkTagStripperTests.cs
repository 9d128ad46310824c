using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class ThinkTagStripperTests
{
    // Cases from the original project's tests/test_stream_buffer.py; where this rules
    // differ from the original (unclosed block, lone end tag), the expectation follows the issue.
    // The original matched a start tag anywhere: these run with think_tags_anywhere=true (the
    // start-anchored default is in ThinkTagFamilyTests).
    public static TheoryData<string, string, string, string> StripCases => new()
    {
        { "<think>", "</think>", "This is a simple chunk.", "This is a simple chunk." },
        { "<think>", "</think>", "Hello <think>some thoughts</think> world!", "Hello  world!" },
        { "<think>", "</think>", "A<think>1</think>B<think>2</think>C", "ABC" },
        { "<think>", "</think>", "Prefix <think>thought1</think> Infix <think>thought2</think> Suffix", "Prefix  Infix  Suffix" },
        { "<think>", "</think>", "Text before <thi", "Text before <thi" },
        { "<think>", "</think>", "Content <think partial", "Content <think partial" },
        { "<think>", "</think>", "<think>content</think>", "" },
        { "<custom_start>", "</custom_end>", "Data <custom_start>secret</custom_end> more data", "Data  more data" },
        { "<คิด>", "</คิด>", "ข้อมูล <คิด>ความคิดเห็น</คิด> เพิ่มเติม", "ข้อมูล  เพิ่มเติม" },
        { "<think>", "</think>", "日本<think>考え</think>語", "日本語" },
        // Matching is first start tag to the first end tag after it, no nesting (as the original).
        { "<think>", "</think>", "<think>outer<think>inner</think>outer_end</think>", "outer_end</think>" },
        { "<think>", "</think>", "<think>a</think>b</think>c", "b</think>c" },
        // A block never closed is dropped in strip mode (finish_reason "length").
        { "<think>", "</think>", "<think>", "" },
        { "<think>", "</think>", "<think>content</thin", "" },
        { "<think>", "</think>", "Answer<think>unfinished", "Answer" },
        // An end tag with no start: removed with the whitespace-only text before it (empty no-think block).
        { "<think>", "</think>", "</think>", "" },
        { "<think>", "</think>", "\n\n</think>\n\nAnswer", "Answer" },
        { "<think>", "</think>", "Answer </think> more", "Answer  more" },
        // Whitespace right after a removed block at the start of the answer is dropped.
        { "<think>", "</think>", "<think>x</think>\n\nAnswer", "Answer" },
        { "<think>", "</think>", "\n<think>x</think>Answer", "Answer" },
        { "<think>", "</think>", "Hi <think>x</think>\n\nthere", "Hi \n\nthere" },
        { "<think>", "</think>", "\n\nHello", "\n\nHello" },
        { "<think>", "</think>", "  ", "  " },
        { "<think>", "</think>", "a < b and c <= d </ e", "a < b and c <= d </ e" },
        { "<think>", "</think>", "<<think>x</think>>", "<>" },
        { "<think>", "</think>", "", "" },
    };

    [Theory]
    [MemberData(nameof(StripCases))]
    public void Process_WholeInput_StripsBlocks(string start, string end, string input, string expected)
    {
        Assert.Equal(expected, Run(start, end, false, [input]).Answer);
    }

    [Theory]
    [MemberData(nameof(StripCases))]
    public void Process_SplitAtEveryBytePosition_SameOutput(string start, string end, string input, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int i = 0; i <= bytes.Length; i++)
        {
            Assert.Equal(expected, RunBytes(start, end, false, [bytes[..i], bytes[i..]]).Answer);
        }
    }

    [Theory]
    [MemberData(nameof(StripCases))]
    public void Process_OneByteAtATime_SameOutput(string start, string end, string input, string expected)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        Assert.Equal(expected, RunBytes(start, end, false, bytes.Select(b => new[] { b }).ToArray()).Answer);
    }

    [Fact]
    public void Process_TagSplitAcrossThreeChunks_Removed()
    {
        Assert.Equal("Hello  world!", Run("<think>", "</think>", false, ["Hello <th", "ink>some thoughts</th", "ink> world!"]).Answer);
    }

    [Fact]
    public void Process_PartialStartTagAtChunkEdge_HeldOnlyThatPrefix()
    {
        using var stripper = new ThinkTagStripper("<think>"u8, "</think>"u8, false, anywhere: true);
        var answer = new ArrayBufferWriter<byte>();
        stripper.Process("Text before <thi"u8, answer, null);
        Assert.Equal("Text before ", Encoding.UTF8.GetString(answer.WrittenSpan));
        Assert.Equal(4, stripper.HeldBytes);
        stripper.Process("nk>thought</think> and after."u8, answer, null);
        stripper.Complete(answer, null);
        Assert.Equal("Text before  and after.", Encoding.UTF8.GetString(answer.WrittenSpan));
    }

    [Fact]
    public void Process_LongThought_HoldsAtMostTagLengthMinusOne()
    {
        using var stripper = new ThinkTagStripper("<think>"u8, "</think>"u8, false);
        var answer = new ArrayBufferWriter<byte>();
        stripper.Process("<think>"u8, answer, null);
        for (int i = 0; i < 1000; i++)
        {
            stripper.Process("a long thought </thin"u8, answer, null);
            Assert.True(stripper.HeldBytes <= "</think>".Length - 1);
            Assert.True(stripper.InThought);
        }

        Assert.Equal(0, answer.WrittenCount);
    }

    [Fact]
    public void Process_TagFreeText_GoesOutImmediately()
    {
        using var stripper = new ThinkTagStripper("<think>"u8, "</think>"u8, false);
        var answer = new ArrayBufferWriter<byte>();
        stripper.Process("Hello there"u8, answer, null);
        Assert.Equal("Hello there", Encoding.UTF8.GetString(answer.WrittenSpan));
    }

    public static TheoryData<string, string, string> StartsOpenCases => new()
    {
        { "thought</think>\n\nAnswer", "Answer", "thought" },
        { "Hmm, a greeting.</think>Hi! 😊", "Hi! 😊", "Hmm, a greeting." },
        // The model did not think: with no end tag at all the held text is the answer.
        { "Just an answer", "Just an answer", "" },
        { "a</think>b</think>c", "b</think>c", "a" },
        { "<think>t</think>Answer", "Answer", "<think>t" },
    };

    [Theory]
    [MemberData(nameof(StartsOpenCases))]
    public void Process_StartsOpen_SplitAtEveryBytePosition_TextBeforeEndTagIsThinking(string input, string answer, string thinking)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        for (int i = 0; i <= bytes.Length; i++)
        {
            (string a, string t) = RunBytes("<think>", "</think>", true, [bytes[..i], bytes[i..]]);
            Assert.Equal(answer, a);
            Assert.Equal(thinking, t);
        }
    }

    public static TheoryData<string, string, string> SplitCases => new()
    {
        { "<think>reasoning here</think>\n\nThe answer", "The answer", "reasoning here" },
        { "A<think>1</think>B<think>2</think>C", "ABC", "12" },
        { "<think>unclosed thought", "", "unclosed thought" },
        { "<think>x</th", "", "x</th" },
    };

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void Process_SplitMode_OneByteAtATime_ThinkingSeparated(string input, string answer, string thinking)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(input);
        (string a, string t) = RunBytes("<think>", "</think>", false, bytes.Select(b => new[] { b }).ToArray());
        Assert.Equal(answer, a);
        Assert.Equal(thinking, t);
    }

    [Fact]
    public void Complete_AfterUse_ResetsForNextText()
    {
        using var stripper = new ThinkTagStripper("<think>"u8, "</think>"u8, false);
        var answer = new ArrayBufferWriter<byte>();
        stripper.Process("<think>x"u8, answer, null);
        stripper.Complete(answer, null);
        stripper.Process("y"u8, answer, null);
        stripper.Complete(answer, null);
        Assert.Equal("y", Encoding.UTF8.GetString(answer.WrittenSpan));
    }

    [Theory]
    [InlineData("abc<thi", "<think>", 4)]
    [InlineData("abc<", "<think>", 1)]
    [InlineData("abc<think", "<think>", 6)]
    [InlineData("abc", "<think>", 0)]
    [InlineData("<<", "<think>", 1)]
    public void PartialTagSuffix_Input_LongestProperPrefixLength(string data, string tag, int expected)
    {
        Assert.Equal(expected, ThinkTagStripper.PartialTagSuffix(Encoding.UTF8.GetBytes(data), Encoding.UTF8.GetBytes(tag)));
    }

    private static (string Answer, string Thinking) Run(string start, string end, bool startsOpen, string[] chunks)
    {
        return RunBytes(start, end, startsOpen, chunks.Select(Encoding.UTF8.GetBytes).ToArray());
    }

    private static (string Answer, string Thinking) RunBytes(string start, string end, bool startsOpen, byte[][] chunks)
    {
        using var stripper = new ThinkTagStripper(Encoding.UTF8.GetBytes(start), Encoding.UTF8.GetBytes(end), startsOpen, anywhere: true);
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
