using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CsCheck;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>
/// Property-based proof of failing closed for the Responses API: generated streams and bodies whose reasoning items
/// (reasoning_text or summary) and tagged thoughts in output_text (every family, at the answer's start, as a
/// recognised thought stands) carry a marker word, in every framing, cut at random points and mixed with junk
/// documents, never show the marker in strip mode; the answer arrives whole and output_index and sequence_number run
/// without gaps. A failure message carries CsCheck's seed; replay it with
/// <c>CsCheck_Seed=&lt;seed&gt; dotnet test --filter ResponsesLeakPropertyTests</c>.
/// </summary>
public sealed class ResponsesLeakPropertyTests
{
    private const string Marker = "zqmark";

    private static readonly (string Start, string End, string AnswerHead)[] s_families =
    [
        ("<think>", "</think>", "\n\n"),
        ("<thinking>", "</thinking>", "\n\n"),
        ("<thought>", "</thought>", "\n"),
        ("<reasoning>", "</reasoning>", "\n\n"),
        ("<seed:think>", "</seed:think>", ""),
        ("[THINK]", "[/THINK]", ""),
        // Raw Harmony as llama.cpp's test-chat-parser.cpp (test_gpt_oss_harmony_format) writes it.
        ("<|channel|>analysis<|message|>", "<|end|>", "<|start|>assistant<|channel|>final<|message|>"),
    ];

    private static readonly string[] s_words = ["alpha", "beta", "gamma", " ", "\n", "é", "日本", "<b>", "x[y]", "\"q\"", "\\"];

    private static readonly Gen<Scenario> s_scenarios =
        from framing in Gen.Int[0, 3]
        from reasoningItems in Gen.Int[0, 2]
        from summary in Gen.Bool
        from messages in Gen.Int[1, 2]
        from family in Gen.Int[0, s_families.Length - 1]
        from tagged in Gen.Bool
        from junk in Gen.Int[0, 3]
        from seed in Gen.Int
        select new Scenario(framing, reasoningItems, summary, messages, family, tagged, junk, seed);

    [Fact]
    public void Strip_GeneratedResponses_NoMarkerAnswerWholeIndicesContiguous()
    {
        s_scenarios.Sample(s => Check(s, ThinkMode.Strip), iter: 600, print: s => s.ToString());
    }

    /// <summary>Split mode: the marker is only ever in reasoning items (their events, the response objects' reasoning items), never in an output_text.</summary>
    [Fact]
    public void Split_GeneratedResponses_ThoughtOnlyInReasoningEventsAnswerWholeIndicesContiguous()
    {
        s_scenarios.Sample(s => Check(s, ThinkMode.Split), iter: 600, print: s => s.ToString());
    }

    private static readonly Gen<MergeScenario> s_mergeScenarios =
        from framing in Gen.Int[0, 2]
        from reasoningItems in Gen.Int[1, 2]
        from summary in Gen.Bool
        from tail in Gen.Int[0, 2]
        from junk in Gen.Int[0, 3]
        from seed in Gen.Int
        select new MergeScenario(framing, reasoningItems, summary, tail, junk, seed);

    /// <summary>
    /// Merge mode, streams: the reasoning streams live as the output_text of one message, inside &lt;think&gt;…&lt;/think&gt;
    /// at its start; whatever follows (the answer, a tool call, nothing), each message's deltas add up to its done events'
    /// text and to the final response's, under one id, and the numbering has no gaps.
    /// </summary>
    [Fact]
    public void Merge_GeneratedStreams_ReasoningLiveInsideThinkTagsTextsAgreeIndicesContiguous()
    {
        s_mergeScenarios.Sample(CheckMerge, iter: 600, print: s => s.ToString());
    }

    private static void CheckMerge(MergeScenario scenario)
    {
        var random = new Random(scenario.Seed);
        var builder = new ResponsesStreamBuilder().Created();
        var reasoning = new List<string>();
        int pieces = 0;
        for (int i = 0; i < scenario.ReasoningItems; i++)
        {
            string thought = "Thought" + Words(random) + Marker + Words(random);
            List<string> cut = Cut(thought, random);
            builder.Reasoning(cut, scenario.Summary);
            reasoning.Add(thought);
            pieces += cut.Count;
        }

        string answer = "Answer" + Words(random).TrimEnd() + "!";
        if (scenario.Tail == 0)
        {
            builder.Message(Cut(answer, random), logprobs: random.Next(2) == 0);
        }
        else if (scenario.Tail == 1)
        {
            builder.FunctionCall("{\"a\":1}");
        }

        builder.Completed();
        ResponseFraming framing = scenario.Framing == 2 ? ResponseFraming.Ndjson : ResponseFraming.EventStream;
        byte[] input = WithJunk(builder.Frame(framing, eventLines: scenario.Framing == 0), framing, scenario.Junk, random);
        byte[] output = ResponsesHarness.Run(framing, new ResponseRewriteOptions { Mode = ThinkMode.Merge }, input, 1 + random.Next(200), out _);
        List<JsonElement> events = ResponsesHarness.Documents(output, framing);

        ResponsesHarness.AssertContiguous(events);
        string expected = "<think>" + string.Join("\n\n", reasoning) + "</think>" + (scenario.Tail == 0 ? answer : "");
        SortedDictionary<int, string> deltas = ResponsesHarness.DeltaText(events);
        Assert.Equal([0], deltas.Keys);
        Assert.Equal(expected, deltas[0]);
        Assert.Equal(expected, events.Single(e => ResponsesHarness.Type(e) == "response.output_text.done").GetProperty("text").GetString());
        Assert.Equal(expected, events.Single(e => ResponsesHarness.Type(e) == "response.content_part.done").GetProperty("part").GetProperty("text").GetString());
        JsonElement done = events.Single(e => ResponsesHarness.Type(e) == "response.output_item.done" && e.GetProperty("output_index").GetInt32() == 0).GetProperty("item");
        Assert.Equal(expected, done.GetProperty("content")[0].GetProperty("text").GetString());
        JsonElement[] output0 = [.. events.Single(e => ResponsesHarness.Type(e) == "response.completed").GetProperty("response").GetProperty("output").EnumerateArray()];
        Assert.Equal(scenario.Tail == 1 ? "message function_call" : "message", string.Join(' ', output0.Select(i => i.GetProperty("type").GetString())));
        Assert.Equal(expected, output0[0].GetProperty("content")[0].GetProperty("text").GetString());

        // One message, one id: in its added and done events, every delta and the final response.
        string id = events.Single(e => ResponsesHarness.Type(e) == "response.output_item.added" && e.GetProperty("output_index").GetInt32() == 0).GetProperty("item").GetProperty("id").GetString()!;
        Assert.Equal(id, done.GetProperty("id").GetString());
        Assert.Equal(id, output0[0].GetProperty("id").GetString());
        Assert.All(events.Where(e => e.TryGetProperty("item_id", out _) && e.GetProperty("output_index").GetInt32() == 0), e => Assert.Equal(id, e.GetProperty("item_id").GetString()));
        Assert.Equal(scenario.Tail == 1 ? 2 : 1, events.Count(e => ResponsesHarness.Type(e) == "response.output_item.added"));

        // Live: each reasoning delta went out as a delta of its own (held, it would go in one), and nothing of it outside a message's text.
        Assert.True(events.Count(e => ResponsesHarness.Type(e) == "response.output_text.delta") >= pieces, $"{scenario}: reasoning held");
        Assert.DoesNotContain(events, e => ResponsesHarness.Type(e).StartsWith("response.reasoning", StringComparison.Ordinal));
        Assert.DoesNotContain("\"type\":\"reasoning\"", Encoding.UTF8.GetString(output), StringComparison.Ordinal);
    }

    private static void Check(Scenario scenario, ThinkMode mode)
    {
        var random = new Random(scenario.Seed);
        var builder = new ResponsesStreamBuilder().Created();
        var answers = new List<string>();
        int reasoningLeft = scenario.ReasoningItems;
        for (int message = 0; message < scenario.Messages; message++)
        {
            if (reasoningLeft-- > 0)
            {
                builder.Reasoning(Cut(Words(random) + Marker + Words(random), random), scenario.Summary);
            }

            (string start, string end, string head) = s_families[scenario.Family];
            string answer = "Answer" + Words(random).TrimEnd() + "!";
            string text = scenario.Tagged ? start + Words(random) + Marker + Words(random) + end + head + answer : answer;
            builder.Message(Cut(text, random), logprobs: random.Next(2) == 0, escapeTags: random.Next(3) == 0);
            answers.Add(answer);
        }

        builder.Completed();
        var options = new ResponseRewriteOptions { Mode = mode };
        if (scenario.Framing == 3)
        {
            byte[] body = Encoding.UTF8.GetBytes(builder.Body());
            string result = Encoding.UTF8.GetString(ResponsesHarness.Run(ResponseFraming.JsonBody, options, body, 1 + random.Next(64), out _));
            using JsonDocument document = JsonDocument.Parse(result);
            if (mode == ThinkMode.Strip)
            {
                Assert.False(result.Contains(Marker, StringComparison.Ordinal), $"{scenario}: marker in {result}");
            }
            else
            {
                AssertThoughtOnlyInReasoning(document.RootElement, scenario);
            }

            string[] texts = [.. document.RootElement.GetProperty("output").EnumerateArray().Where(i => i.GetProperty("type").GetString() == "message")
                .Select(i => i.GetProperty("content")[0].GetProperty("text").GetString()!)];
            Assert.Equal(answers, texts);
            return;
        }

        ResponseFraming framing = scenario.Framing == 2 ? ResponseFraming.Ndjson : ResponseFraming.EventStream;
        byte[] input = WithJunk(builder.Frame(framing, eventLines: scenario.Framing == 0), framing, scenario.Junk, random);
        byte[] output = ResponsesHarness.Run(framing, options, input, 1 + random.Next(200), out _);
        string visible = Encoding.UTF8.GetString(output);
        List<JsonElement> events = ResponsesHarness.Documents(output, framing);
        if (mode == ThinkMode.Strip)
        {
            Assert.False(visible.Contains(Marker, StringComparison.Ordinal), $"{scenario}: marker in {visible}");
        }
        else
        {
            foreach (JsonElement e in events)
            {
                AssertThoughtOnlyInReasoning(e, scenario);
            }

            // Each thought streamed: one reasoning item per server reasoning item and per tagged message, each with the marker.
            string[] thoughts = [.. events.Where(e => ResponsesHarness.Type(e) == "response.output_item.done" && e.GetProperty("item").GetProperty("type").GetString() == "reasoning")
                .Select(e => e.GetProperty("item").GetRawText())];
            Assert.Equal(Math.Min(scenario.ReasoningItems, scenario.Messages) + (scenario.Tagged ? scenario.Messages : 0), thoughts.Length);
            Assert.All(thoughts, t => Assert.Contains(Marker, t, StringComparison.Ordinal));
        }

        ResponsesHarness.AssertContiguous(events);
        SortedDictionary<int, string> deltas = ResponsesHarness.DeltaText(events);
        Assert.Equal(answers, deltas.Values);
    }

    /// <summary>Split mode: the marker appears only inside reasoning items, their events and parts, never in an output_text or a message.</summary>
    private static void AssertThoughtOnlyInReasoning(JsonElement element, Scenario scenario)
    {
        string type = element.ValueKind == JsonValueKind.Object ? ResponsesHarness.Type(element) : "";
        if (type == "reasoning" || type.StartsWith("response.reasoning_", StringComparison.Ordinal) || type is "reasoning_text" or "summary_text")
        {
            return;
        }

        Assert.False(type.StartsWith("response.output_text", StringComparison.Ordinal) && element.GetRawText().Contains(Marker, StringComparison.Ordinal), $"{scenario}: marker in {element}");
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    AssertThoughtOnlyInReasoning(property.Value, scenario);
                }

                break;
            case JsonValueKind.Array:
                foreach (JsonElement child in element.EnumerateArray())
                {
                    AssertThoughtOnlyInReasoning(child, scenario);
                }

                break;
            case JsonValueKind.String:
                Assert.False(element.GetString()!.Contains(Marker, StringComparison.Ordinal), $"{scenario}: marker outside a reasoning item: {element}");
                break;
        }
    }

    private static string Words(Random random)
    {
        var builder = new StringBuilder();
        for (int i = random.Next(6); i > 0; i--)
        {
            builder.Append(' ').Append(s_words[random.Next(s_words.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>The text in deltas cut at random points (whole characters: a delta is a JSON string).</summary>
    private static List<string> Cut(string text, Random random)
    {
        var pieces = new List<string>();
        int at = 0;
        while (at < text.Length)
        {
            int length = Math.Min(text.Length - at, 1 + random.Next(8));
            if (char.IsHighSurrogate(text[at + length - 1]) && at + length < text.Length)
            {
                length++;
            }

            pieces.Add(text.Substring(at, length));
            at += length;
        }

        return pieces;
    }

    /// <summary>Junk documents between events: not JSON, invalid UTF-8, an unknown event type without a marker.</summary>
    private static byte[] WithJunk(byte[] framed, ResponseFraming framing, int count, Random random)
    {
        string separator = framing == ResponseFraming.Ndjson ? "\n" : "\n\n";
        string prefix = framing == ResponseFraming.Ndjson ? "" : "data: ";
        List<byte[]> documents = [.. Encoding.UTF8.GetString(framed).Split(separator).Where(d => d.Length > 0).Select(d => Encoding.UTF8.GetBytes(d + separator))];
        for (int i = 0; i < count; i++)
        {
            byte[] junk = (random.Next(3)) switch
            {
                0 => Encoding.UTF8.GetBytes(prefix + "{\"type\":\"response.output_text.delta\",\"delta\":\"" + Marker + separator),
                1 => [.. Encoding.UTF8.GetBytes(prefix + "{\"type\":\"response.reasoning_text.delta\",\"output_index\":0,\"delta\":\"" + Marker), 0xFF, .. Encoding.UTF8.GetBytes("\"}" + separator)],
                _ => Encoding.UTF8.GetBytes(prefix + "{\"type\":\"response.unknown\",\"note\":\"<x>\"}" + separator),
            };
            documents.Insert(random.Next(documents.Count + 1), junk);
        }

        return [.. documents.SelectMany(d => d)];
    }

    private sealed record MergeScenario(int Framing, int ReasoningItems, bool Summary, int Tail, int Junk, int Seed);

    private sealed record Scenario(int Framing, int ReasoningItems, bool Summary, int Messages, int Family, bool Tagged, int Junk, int Seed);
}
