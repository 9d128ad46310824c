using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CotProxy.Filtering;
using CsCheck;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// Property-based proof of failing closed: generated streams whose thoughts carry marker words, in every
/// framing, mode and tag family (named or found by auto), start-anchored or with think_tags_anywhere=true,
/// cut at random points and mixed with junk, never show a marker where it must not be. Thoughts stand where
/// a thought is recognised: at the answer's start or right after another block, and, with anywhere, also
/// after answer text; start-anchored, a block written inside the answer is answer text and must stay. In strip mode a body
/// also goes through the sniffing rewriter with its Content-Type right, missing or wrong, sometimes after a first
/// line of junk that is neither JSON nor an SSE field.
/// A failure message carries CsCheck's seed; replay it with <c>CsCheck_Seed=&lt;seed&gt; dotnet test --filter ThoughtLeakPropertyTests</c>.
/// </summary>
public sealed class ThoughtLeakPropertyTests
{
    private const string Marker = "zqmark";
    private const int Limit = 4096;

    /// <summary>Each family: start tag, end tag, the start tag of a later block, and what stands between the last block and the answer.</summary>
    private static readonly (string Name, string Start, string End, string Next, string AnswerHead)[] s_families =
    [
        ("think", "<think>", "</think>", "<think>", "\n\n"),
        ("thinking", "<thinking>", "</thinking>", "<thinking>", "\n\n"),
        ("thought", "<thought>", "</thought>", "<thought>", "\n"),
        ("reasoning", "<reasoning>", "</reasoning>", "<reasoning>", "\n\n"),
        ("seed", "<seed:think>", "</seed:think>", "<seed:think>", ""),
        ("mistral", "[THINK]", "[/THINK]", "[THINK]", ""),
        // Raw Harmony as llama.cpp's test-chat-parser.cpp (test_gpt_oss_harmony_format) writes it.
        ("harmony", "<|channel|>analysis<|message|>", "<|end|>", "<|start|>assistant<|channel|>analysis<|message|>", "<|start|>assistant<|channel|>final<|message|>"),
    ];

    private static readonly Gen<Scenario> s_scenarios =
        from framing in Gen.Int[0, 2]
        from split in Gen.Bool
        from startsOpen in Gen.Bool
        from escaped in Gen.Bool
        from choices in Gen.Int[1, 3]
        from junk in Gen.Int[0, 4]
        from separated in Gen.Bool
        from family in Gen.Int[0, s_families.Length - 1]
        from auto in Gen.Bool
        from anywhere in Gen.Bool
        from label in Gen.Int[0, 3]
        from seed in Gen.Int
        select new Scenario((ResponseFraming)framing, split, startsOpen, escaped, choices, junk, separated, seed, split ? Labelling.Factory : (Labelling)label) { Family = family, Auto = auto, Anywhere = anywhere };

    [Fact]
    public void Rewrite_GeneratedStreamsWithJunk_NoMarkerOutsideReasoning()
    {
        s_scenarios.Sample(Check, iter: 1500, print: s => s.ToString());
    }

    [Fact]
    public void Rewrite_GeneratedStreamsWithoutJunk_VisibleAnswerExact()
    {
        s_scenarios.Where(s => s.Framing != ResponseFraming.JsonBody && !s.Split).Select(s => s with { Junk = 0 })
            .Sample(CheckAnswer, iter: 500, print: s => s.ToString());
    }

    [Fact]
    public void Rewrite_GeneratedStreamsMergeMode_ThoughtOnlyInLeadingThinkBlocks()
    {
        s_scenarios.Where(s => s.Framing != ResponseFraming.JsonBody).Select(s => s with { Junk = 0, Separated = false })
            .Sample(CheckMerged, iter: 500, print: s => s.ToString());
    }

    [Fact]
    public void Rewrite_GeneratedStreamsMergeModeWithSeparatedReasoning_ReasoningOnlyInLeadingBlocks()
    {
        // Reasoning the server separated (reasoning_content, Ollama's thinking) beside the tagged text, in streams and bodies.
        s_scenarios.Select(s => s with { Junk = 0, Separated = true })
            .Sample(CheckMerged, iter: 500, print: s => s.ToString());
    }

    /// <summary>
    /// Merge mode: each choice's text is &lt;think&gt;…&lt;/think&gt; blocks (separated reasoning: in the profile's own tags when it
    /// names a family), then exactly the answer (and, anywhere, blocks where later thoughts stood).
    /// </summary>
    private static void CheckMerged(Scenario scenario)
    {
        Generated generated = Generate(scenario);
        var random = new Random(scenario.Seed);
        byte[] output = Run(scenario with { Label = Labelling.Factory }, Options(scenario, ThinkMode.Merge), generated.Body, random.Next(0, 2) == 0 ? 1 : -1, random);
        SortedDictionary<int, string> visible = RewriterHarness.VisibleText(Documents(scenario.Framing, output));
        var family = s_families[scenario.Family];
        string block = "<think>(?:(?!</think>).)*</think>";
        if (scenario.Separated && !scenario.Auto)
        {
            string start = Regex.Escape(family.Start);
            string end = Regex.Escape(family.End);
            block = $"(?:{block}|{start}(?:(?!{end}).)*{end})";
        }

        for (int choice = 0; choice < generated.Answers.Length; choice++)
        {
            int key = scenario.Framing == ResponseFraming.Ndjson && scenario.Choices == 1 ? 0 : choice;
            string text = visible.GetValueOrDefault(key, "");
            string blocks = Regex.Match(text, $"^(?:{block})*", RegexOptions.Singleline).Value;
            Assert.True(blocks.Length > 0, $"{scenario}: no leading <think> block in {text}");
            // With think_tags_anywhere=true a later thought stays where it stood, in its own block.
            string answer = scenario.Anywhere ? Regex.Replace(text[blocks.Length..], block, "", RegexOptions.Singleline) : text[blocks.Length..];
            Assert.Equal(generated.Answers[choice], answer);
            Assert.DoesNotContain(Marker, answer, StringComparison.Ordinal);
        }

        if (scenario.Separated)
        {
            foreach (string document in Documents(scenario.Framing, output))
            {
                Assert.DoesNotContain("\"reasoning_content\":\"" + Marker, document, StringComparison.Ordinal);
                Assert.DoesNotContain("\"thinking\":\"" + Marker, document, StringComparison.Ordinal);
            }
        }
    }

    private static void Check(Scenario scenario)
    {
        Generated generated = Generate(scenario);
        var options = Options(scenario, scenario.Split ? ThinkMode.Split : ThinkMode.Strip);
        var random = new Random(scenario.Seed);
        foreach (int cut in new[] { 0, 1, random.Next(2, 64), -1 })
        {
            byte[] output = Run(scenario, options, generated.Body, cut, random);
            foreach (string document in Documents(scenario.Framing, output))
            {
                string visible = scenario.Split ? WithoutReasoning(document) : document;
                Assert.False(visible.Contains(Marker, StringComparison.Ordinal), $"{scenario}: marker outside reasoning in {document}");
                if (!scenario.Split)
                {
                    // Strip mode: a kept logprobs token is text the client sees in the same event.
                    AssertTokensInContent(scenario, document);
                }
            }
        }
    }

    private static void AssertTokensInContent(Scenario scenario, string document)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(document);
        }
        catch (JsonException)
        {
            return;
        }

        if (root?["choices"] is not JsonArray choices)
        {
            return;
        }

        foreach (JsonNode? choice in choices)
        {
            if (choice?["logprobs"]?["content"] is not JsonArray tokens)
            {
                continue;
            }

            string content = choice["delta"]?["content"] is JsonValue value && value.TryGetValue(out string? text) ? text : "";
            foreach (JsonNode? token in tokens)
            {
                string t = token!["token"]!.GetValue<string>();
                Assert.True(content.Contains(t, StringComparison.Ordinal), $"{scenario}: logprobs token '{t}' is not in the visible content '{content}' of {document}");
            }
        }
    }

    private static void CheckAnswer(Scenario scenario)
    {
        Generated generated = Generate(scenario);
        var options = Options(scenario, ThinkMode.Strip);
        byte[] output = Run(scenario, options, generated.Body, 0, new Random(scenario.Seed));
        SortedDictionary<int, string> visible = RewriterHarness.VisibleText(Documents(scenario.Framing, output));
        for (int choice = 0; choice < generated.Answers.Length; choice++)
        {
            int key = scenario.Framing == ResponseFraming.Ndjson && scenario.Choices == 1 ? 0 : choice;
            Assert.Equal(generated.Answers[choice], visible.GetValueOrDefault(key, ""));
        }
    }

    private static ResponseRewriteOptions Options(Scenario scenario, ThinkMode mode) => new()
    {
        Mode = mode,
        StartsOpen = scenario.StartsOpen,
        ThinkTags = scenario.Auto ? null : s_families[scenario.Family].Name,
        TagsAnywhere = scenario.Anywhere,
    };

    /// <summary>Feeds the body in pieces: whole (0), byte by byte (1), of one size, or of random sizes (-1).</summary>
    private static byte[] Run(Scenario scenario, ResponseRewriteOptions options, byte[] body, int size, Random random)
    {
        ResponseFraming framing = scenario.Framing;
        using IResponseRewriter rewriter = scenario.Label switch
        {
            Labelling.Factory => ResponseRewriterFactory.Create(framing, options, Limit)!,
            Labelling.Right => new SniffingResponseRewriter(framing, options, Limit),
            Labelling.Missing => new SniffingResponseRewriter(null, options, Limit),
            _ => new SniffingResponseRewriter(framing == ResponseFraming.EventStream ? ResponseFraming.JsonBody : ResponseFraming.Text, options, Limit),
        };
        var output = new ArrayBufferWriter<byte>();
        int offset = 0;
        while (offset < body.Length)
        {
            int length = size switch { 0 => body.Length, -1 => random.Next(1, 300), _ => size };
            length = Math.Min(length, body.Length - offset);
            rewriter.Write(body.AsSpan(offset, length), output);
            offset += length;
        }

        rewriter.Complete(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The output's documents as text (invalid UTF-8 shown as U+FFFD, which cannot hide a marker).</summary>
    private static List<string> Documents(ResponseFraming framing, byte[] output)
    {
        string text = Encoding.UTF8.GetString(output);
        return framing switch
        {
            ResponseFraming.EventStream => RewriterHarness.SseData(text),
            ResponseFraming.Ndjson => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)],
            _ => text.Length == 0 ? [] : [text],
        };
    }

    /// <summary>
    /// Split mode: the document's strings and names outside its reasoning fields, where the thought belongs, and outside
    /// its logprobs, which split mode leaves as they came (the thought is shown, so are its tokens).
    /// </summary>
    private static string WithoutReasoning(string document)
    {
        var visible = new StringBuilder();
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(document), new JsonReaderOptions { MaxDepth = 4096 });
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("thinking"u8) || reader.ValueTextEquals("logprobs"u8)))
                {
                    reader.Read();
                    reader.Skip();
                }
                else if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    visible.Append(reader.GetString()).Append('\n');
                }
            }
        }
        catch (JsonException)
        {
            return document;
        }
        catch (InvalidOperationException)
        {
            return document;
        }

        return visible.ToString();
    }

    private static Generated Generate(Scenario scenario)
    {
        var random = new Random(scenario.Seed);
        bool ollama = scenario.Framing == ResponseFraming.Ndjson && scenario.Choices == 1;
        var texts = new string[scenario.Choices];
        var answers = new string[scenario.Choices];
        var states = new bool[scenario.Choices][];
        var family = s_families[scenario.Family];
        for (int choice = 0; choice < scenario.Choices; choice++)
        {
            var text = new ThoughtText(scenario.StartsOpen);
            string answer = Words(random, "answer", random.Next(1, 8));
            if (!scenario.StartsOpen)
            {
                text.Add(random.Next(3) == 0 ? "\n" : "", thought: false);
                text.Tag(family.Start, opens: true);
            }

            text.Add(Words(random, Marker, random.Next(1, 12)), thought: true);
            text.Tag(family.End, opens: false);
            if (!scenario.Anywhere && random.Next(3) == 0)
            {
                // Right after a block ends, another one still counts.
                text.Add("\n", thought: false);
                text.Tag(family.Next, opens: true);
                text.Add(Words(random, Marker, random.Next(1, 4)), thought: true);
                text.Tag(family.End, opens: false);
            }

            text.Add(family.AnswerHead, thought: false);
            text.Add(answer, thought: false);
            if (random.Next(3) == 0)
            {
                string more = Words(random, "tail", random.Next(1, 4));
                if (scenario.Anywhere)
                {
                    text.Tag(family.Next, opens: true);
                    text.Add(Words(random, Marker, random.Next(1, 4)), thought: true);
                    text.Tag(family.End, opens: false);
                    text.Add(more, thought: false);
                    answer += more;
                }
                else
                {
                    // Start-anchored: a block inside the answer is the answer's own text (Harmony's end marker would be removed).
                    string literal = " " + family.Start + more + (family.Name == "harmony" ? "" : family.End);
                    text.Add(literal, thought: false);
                    answer += literal;
                }
            }

            texts[choice] = text.Text;
            states[choice] = text.States;
            answers[choice] = answer;
        }

        if (scenario.Framing == ResponseFraming.JsonBody)
        {
            return new Generated(Body(scenario, random, texts), answers);
        }

        // Each choice's text cut at random points; events of the choices interleaved.
        var pieces = new List<(int Choice, string Text, bool InThought)>();
        var cursors = new int[scenario.Choices];
        while (true)
        {
            int[] open = [.. Enumerable.Range(0, scenario.Choices).Where(c => cursors[c] < texts[c].Length)];
            if (open.Length == 0)
            {
                break;
            }

            int c = open[random.Next(open.Length)];
            int length = Math.Min(random.Next(1, 9), texts[c].Length - cursors[c]);
            pieces.Add((c, texts[c].Substring(cursors[c], length), states[c][cursors[c]]));
            cursors[c] += length;
        }

        var body = new StringBuilder();
        var bytes = new List<byte>();
        void Flush()
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(body.ToString()));
            body.Clear();
        }

        if (scenario.Label != Labelling.Factory && scenario.Junk > 0 && random.Next(2) == 0)
        {
            // A first line that is neither JSON nor an SSE field; thinking when the template opened the thought.
            string line = "HTTP/1.1 junk " + Words(random, scenario.StartsOpen ? Marker : "junk", 1);
            bytes.AddRange(Encoding.UTF8.GetBytes(line + (scenario.Framing == ResponseFraming.EventStream ? "\n\n" : "\n")));
        }

        int junkLeft = scenario.Junk;
        foreach ((int choice, string text, bool inThought) in pieces)
        {
            if (junkLeft > 0 && random.Next(pieces.Count / scenario.Junk + 1) == 0)
            {
                junkLeft--;
                Flush();
                bytes.AddRange(Junk(scenario, random, choice, inThought, ollama));
            }

            string reasoning = scenario.Separated && inThought && random.Next(2) == 0 ? Words(random, Marker, 1) : null!;
            // Chat completions' logprobs (OpenAI API reference): two tokens that spell the delta's content, cut at random.
            int cut = random.Next(0, text.Length + 1);
            string? logprobs = ollama || random.Next(3) == 0 ? null
                : $",\"logprobs\":{{\"content\":[{{\"token\":\"{Escape(text[..cut], scenario.Escaped)}\",\"logprob\":-1}},{{\"token\":\"{Escape(text[cut..], scenario.Escaped)}\",\"logprob\":-2}}]}}";
            body.Append(Frame(scenario, Document(scenario, ollama, choice, Escape(text, scenario.Escaped), reasoning, finish: false, logprobs)));
        }

        for (int choice = 0; choice < scenario.Choices; choice++)
        {
            body.Append(Frame(scenario, Document(scenario, ollama, choice, null, null, finish: true)));
        }

        if (scenario.Framing == ResponseFraming.EventStream)
        {
            body.Append("data: [DONE]\n\n");
        }

        Flush();
        return new Generated([.. bytes], answers);
    }

    private static byte[] Body(Scenario scenario, Random random, string[] texts)
    {
        var choices = new StringBuilder();
        for (int choice = 0; choice < texts.Length; choice++)
        {
            string reasoning = scenario.Separated ? $",\"reasoning_content\":\"{Words(random, Marker, 2)}\"" : "";
            choices.Append(choice == 0 ? "" : ",")
                .Append($"{{\"index\":{choice},\"message\":{{\"role\":\"assistant\",\"content\":\"{Escape(texts[choice], scenario.Escaped)}\"{reasoning}}},\"finish_reason\":\"stop\"}}");
        }

        string json = $"{{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{choices}]}}";
        if (scenario.Junk == 0)
        {
            return Encoding.UTF8.GetBytes(json);
        }

        // One bad byte (or escape) anywhere in the body: it cannot be read, and must not pass whole.
        int at = json.IndexOf(Marker, StringComparison.Ordinal) + random.Next(0, 3);
        return (scenario.Junk % 3) switch
        {
            0 => [.. Encoding.UTF8.GetBytes(json[..at]), 0xFF, .. Encoding.UTF8.GetBytes(json[at..])],
            1 => Encoding.UTF8.GetBytes(json[..at] + "\\ud800" + json[at..]),
            _ => Encoding.UTF8.GetBytes(json[..^2]),
        };
    }

    private static string Document(Scenario scenario, bool ollama, int choice, string? content, string? reasoning, bool finish, string? logprobs = null)
    {
        string reasoningField = reasoning is null ? "" : $",\"reasoning_content\":\"{reasoning}\"";
        string contentField = content is null ? "" : $"\"content\":\"{content}\"";
        if (ollama)
        {
            return finish
                ? "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}"
                : $"{{\"model\":\"m\",\"message\":{{\"role\":\"assistant\",{contentField}{reasoningField.Replace("reasoning_content", "thinking", StringComparison.Ordinal)}}},\"done\":false}}";
        }

        string delta = contentField.Length == 0 ? reasoningField.TrimStart(',') : contentField + reasoningField;
        string finishReason = finish ? "\"stop\"" : "null";
        _ = scenario;
        return $"{{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{{\"index\":{choice},\"delta\":{{{delta}}}{logprobs},\"finish_reason\":{finishReason}}}]}}";
    }

    private static string Frame(Scenario scenario, string document) =>
        scenario.Framing == ResponseFraming.EventStream ? "data: " + document + "\n\n" : document + "\n";

    private static byte[] Junk(Scenario scenario, Random random, int choice, bool inThought, bool ollama)
    {
        // Inside the thought junk carries the marker: it is thinking the upstream sent, however broken.
        string words = Words(random, inThought ? Marker : "junk", 2);
        string document = Document(scenario, ollama, choice, words, null, finish: false);
        int at = document.IndexOf(words, StringComparison.Ordinal) + 1;
        byte[] junk = random.Next(6) switch
        {
            0 => [.. Encoding.UTF8.GetBytes(document[..at]), 0xFF, 0xE6, .. Encoding.UTF8.GetBytes(document[at..])],
            1 => Encoding.UTF8.GetBytes(document[..at] + "\\udc00" + document[at..]),
            2 => Encoding.UTF8.GetBytes(document.Replace("\"delta\":{", "\"delta\":{\"x\":" + new string('[', 300) + new string(']', 300) + ",", StringComparison.Ordinal)
                .Replace("\"message\":{", "\"message\":{\"x\":" + new string('[', 300) + new string(']', 300) + ",", StringComparison.Ordinal)),
            3 => Encoding.UTF8.GetBytes(document[..(at + 3)]),
            4 => Encoding.UTF8.GetBytes(document.Replace($"\"content\":\"{words}\"", $"\"content\":[{{\"type\":\"text\",\"text\":\"{words}\"}}]", StringComparison.Ordinal)),
            _ => Encoding.UTF8.GetBytes(document.Replace(words, words + new string('q', Limit) + " " + words, StringComparison.Ordinal)),
        };
        byte[] framed = scenario.Framing == ResponseFraming.EventStream ? [.. "data: "u8, .. junk, .. "\n\n"u8] : [.. junk, .. "\n"u8];
        return framed;
    }

    /// <summary>Ollama escapes &lt; and &gt; as \u003c and \u003e; others write them as they are.</summary>
    private static string Escape(string text, bool escaped)
    {
        string json = text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return escaped ? json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal) : json;
    }

    private static string Words(Random random, string word, int count)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            text.Append(i == 0 ? "" : " ").Append(word).Append(random.Next(3) == 0 ? "é日" : "").Append(random.Next(100));
        }

        return text.ToString();
    }

    /// <summary>Which rewriter reads the body: the factory's for its framing, or the sniffing one with the label right, missing or wrong.</summary>
    private enum Labelling
    {
        Factory,
        Right,
        Missing,
        Wrong,
    }

    private sealed record Scenario(ResponseFraming Framing, bool Split, bool StartsOpen, bool Escaped, int Choices, int Junk, bool Separated, int Seed, Labelling Label)
    {
        public int Family { get; init; }

        public bool Auto { get; init; }

        public bool Anywhere { get; init; }

        public override string ToString() =>
            $"{Framing} {(Split ? "split" : "strip")}{(StartsOpen ? " starts-open" : "")}{(Escaped ? " escaped" : "")} choices={Choices} junk={Junk}{(Separated ? " separated" : "")}"
            + $" tags={s_families[Family].Name}{(Auto ? " (auto)" : "")}{(Anywhere ? " anywhere" : "")} label={Label} seed={Seed}";
    }

    private sealed record Generated(byte[] Body, string[] Answers);

    /// <summary>
    /// A choice's text and, for every prefix length, whether the upstream is inside a thought there: after a whole start
    /// tag (or from the start when the template opened it), before a whole end tag.
    /// </summary>
    private sealed class ThoughtText(bool startsOpen)
    {
        private readonly StringBuilder _text = new();
        private readonly List<bool> _states = [startsOpen];

        public string Text => _text.ToString();

        public bool[] States => [.. _states];

        public void Add(string text, bool thought)
        {
            _text.Append(text);
            _states.AddRange(Enumerable.Repeat(thought, text.Length));
        }

        public void Tag(string tag, bool opens)
        {
            _text.Append(tag);
            _states.AddRange(Enumerable.Repeat(!opens, tag.Length - 1));
            _states.Add(opens);
        }
    }
}
