using System.Text;
using System.Text.Json.Nodes;
using CotProxy.Tests.Support;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering;

public sealed class JsonBodyFixtureTests
{
    private const string Json = "application/json";

    public static TheoryData<string, bool> Bodies => new()
    {
        { "perplexity__sonar-reasoning-pro_nonstream_think_tags_in_content.json.txt", false },
        { "hyperbolic-via-hf-router__deepseek-r1-0528_nonstream_unclosed_think_finish_length.json.txt", false },
        { "ik_llama.cpp__deepseek-v3.1_nonstream_closing_think_without_opening.json.txt", true },
        { "ik_llama.cpp__qwen3_nonstream_newline_closing_think_without_opening.json.txt", true },
        { "ik_llama.cpp__glm-4.5_nonstream_newline_then_think_block_in_content.json.txt", false },
        { "llama.cpp__gpt-oss-20b_b6224_nonstream_reasoning_content_timings.json.txt", false },
        { "ollama-openai-compat__qwen3_nonstream_reasoning_field.json.txt", false },
    };

    [FixtureTheory]
    [MemberData(nameof(Bodies))]
    public void Rewrite_RecordedBody_OnlyAnswerChangesAndReasoningGoes(string name, bool startsOpen)
    {
        byte[] input = Fixtures.ReadBytes(name);
        var options = new ResponseRewriteOptions { StartsOpen = startsOpen };
        byte[] output = RewriterHarness.Run(Json, options, input, 0);
        for (int i = 0; i <= input.Length; i += 97)
        {
            Assert.Equal(output, RewriterHarness.RunSplitAt(Json, options, input, i));
        }

        Assert.Equal(output, RewriterHarness.Run(Json, options, input, 1));

        JsonNode expected = JsonNode.Parse(input)!;
        JsonObject message = expected["choices"]![0]!["message"]!.AsObject();
        message["content"] = ExpectedAnswer(message["content"]!.GetValue<string>());
        message.Remove("reasoning");
        message.Remove("reasoning_content");
        JsonNode actual = JsonNode.Parse(output)!;
        Assert.True(JsonNode.DeepEquals(expected, actual), Encoding.UTF8.GetString(output));
        Assert.Equal(EndsWithNewline(input), EndsWithNewline(output));
        Golden.Verify(Encoding.UTF8.GetString(output), "Json." + Path.GetFileNameWithoutExtension(name));
    }

    [FixtureFact]
    public void Rewrite_LoneEndTagWithoutStartsOpen_TagRemovedThoughtStays()
    {
        // Without think_starts_open the text before a lone end tag cannot be told from an answer.
        byte[] input = Fixtures.ReadBytes("ik_llama.cpp__deepseek-v3.1_nonstream_closing_think_without_opening.json.txt");
        byte[] output = RewriterHarness.Run(Json, new ResponseRewriteOptions(), input, 0);
        string content = JsonNode.Parse(output)!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        string raw = JsonNode.Parse(input)!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal(raw.Replace("</think>", "", StringComparison.Ordinal), content);
    }

    [FixtureFact]
    public void Rewrite_SplitMode_ThinkingMovesToReasoningContent()
    {
        byte[] input = Fixtures.ReadBytes("perplexity__sonar-reasoning-pro_nonstream_think_tags_in_content.json.txt");
        byte[] output = RewriterHarness.Run(Json, new ResponseRewriteOptions { Mode = ThinkMode.Split }, input, 0);
        string raw = JsonNode.Parse(input)!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        JsonNode message = JsonNode.Parse(output)!["choices"]![0]!["message"]!;
        int start = raw.IndexOf("<think>", StringComparison.Ordinal) + "<think>".Length;
        int end = raw.IndexOf("</think>", StringComparison.Ordinal);
        Assert.Equal(raw[start..end].Trim(' ', '\t', '\n', '\r'), message["reasoning_content"]!.GetValue<string>());
        Assert.Equal(ExpectedAnswer(raw), message["content"]!.GetValue<string>());
    }

    [FixtureFact]
    public void Rewrite_SplitMode_SeparatedReasoningPassesThrough()
    {
        byte[] input = Fixtures.ReadBytes("ollama-openai-compat__qwen3_nonstream_reasoning_field.json.txt");
        var options = new ResponseRewriteOptions { Mode = ThinkMode.Split };
        Assert.Equal(input, RewriterHarness.Run(Json, options, input, 0));
    }

    private static string ExpectedAnswer(string raw)
    {
        // The hyperbolic body's block is never closed: nothing of it is an answer.
        int start = raw.IndexOf("<think>", StringComparison.Ordinal);
        if (start >= 0 && raw.IndexOf("</think>", start, StringComparison.Ordinal) < 0)
        {
            return raw[..start];
        }

        return RewriterHarness.ReferenceAnswer(raw);
    }

    private static bool EndsWithNewline(byte[] body) => body.Length > 0 && body[^1] == (byte)'\n';
}
