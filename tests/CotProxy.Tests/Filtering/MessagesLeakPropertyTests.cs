using System.Buffers;
using System.Text;
using System.Text.Json;
using CotProxy.Filtering;
using CsCheck;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// Property-based proof for /v1/messages: generated streams and bodies in the shapes of Anthropic's "Streaming messages"
/// and "Extended thinking" docs, with marker words in thinking and redacted_thinking blocks and in think tags (any
/// family) at the start of text blocks, cut at random points and mixed with junk (invalid UTF-8, lone surrogates, cut
/// JSON, unknown events, deltas of blocks never started, deep nesting) never show a marker in strip mode; block indices
/// are contiguous from 0 and each start has its stop, in every mode; split shows the marker only in thinking blocks.
/// A failure message carries CsCheck's seed; replay it with <c>CsCheck_Seed=&lt;seed&gt; dotnet test --filter MessagesLeakPropertyTests</c>.
/// </summary>
public sealed class MessagesLeakPropertyTests
{
    private const string Marker = "zqmark";

    private static readonly (string Name, string Start, string End)[] s_families =
    [
        ("think", "<think>", "</think>"),
        ("thinking", "<thinking>", "</thinking>"),
        ("thought", "<thought>", "</thought>"),
        ("reasoning", "<reasoning>", "</reasoning>"),
        ("seed", "<seed:think>", "</seed:think>"),
        ("mistral", "[THINK]", "[/THINK]"),
    ];

    private static readonly Gen<Scenario> s_scenarios =
        from body in Gen.Bool
        from mode in Gen.Int[0, 2]
        from family in Gen.Int[0, s_families.Length - 1]
        from auto in Gen.Bool
        from escaped in Gen.Bool
        from junk in Gen.Int[0, 4]
        from seed in Gen.Int
        select new Scenario(body, (ThinkMode)(mode == 2 ? (int)ThinkMode.Merge : mode), family, auto, escaped, junk, seed);

    [Fact]
    public void Rewrite_GeneratedMessagesWithJunk_NoMarkerInStrip()
    {
        s_scenarios.Select(s => s with { Mode = ThinkMode.Strip }).Sample(CheckStrip, iter: 800, print: s => s.ToString());
    }

    [Fact]
    public void Rewrite_GeneratedMessagesWithoutJunk_IndicesContiguousAndAnswerExact()
    {
        s_scenarios.Select(s => s with { Junk = 0 }).Sample(CheckShape, iter: 600, print: s => s.ToString());
    }

    private static void CheckStrip(Scenario scenario)
    {
        Generated generated = Generate(scenario);
        var random = new Random(scenario.Seed);
        foreach (int cut in new[] { 0, 1, random.Next(2, 64), -1 })
        {
            string output = Run(scenario, generated.Bytes, cut, random);
            Assert.False(output.Contains(Marker, StringComparison.Ordinal), $"{scenario}: marker in {output}");
            Assert.DoesNotContain("\"thinking\"", output, StringComparison.Ordinal);
            if (!scenario.Body)
            {
                AssertIndices(scenario, output);
            }
        }
    }

    private static void CheckShape(Scenario scenario)
    {
        Generated generated = Generate(scenario);
        var random = new Random(scenario.Seed);
        string output = Run(scenario, generated.Bytes, random.Next(2) == 0 ? 1 : -1, random);
        if (scenario.Body)
        {
            using var body = JsonDocument.Parse(output);
            var text = new StringBuilder();
            foreach (JsonElement block in body.RootElement.GetProperty("content").EnumerateArray())
            {
                string type = block.GetProperty("type").GetString()!;
                Assert.True(scenario.Mode != ThinkMode.Strip || type is not ("thinking" or "redacted_thinking"), $"{scenario}: {output}");
                if (type == "text")
                {
                    text.Append(block.GetProperty("text").GetString());
                }
            }

            AssertText(scenario, generated, text.ToString(), output);
            return;
        }

        AssertText(scenario, generated, AssertIndices(scenario, output), output);
    }

    /// <summary>Strip: exactly the answers; merge: the answers with thought between tags; split: the answers, the marker only in thinking.</summary>
    private static void AssertText(Scenario scenario, Generated generated, string text, string output)
    {
        if (scenario.Mode == ThinkMode.Merge)
        {
            Assert.Equal(generated.Answers, StripMerged(text));
            return;
        }

        Assert.Equal(generated.Answers, text);
    }

    /// <summary>Merge mode's text without its &lt;think&gt;…&lt;/think&gt; blocks (which hold the markers).</summary>
    private static string StripMerged(string text)
    {
        var result = new StringBuilder();
        int at = 0;
        while (true)
        {
            int start = text.IndexOf("<think>", at, StringComparison.Ordinal);
            if (start < 0)
            {
                result.Append(text, at, text.Length - at);
                return result.ToString();
            }

            result.Append(text, at, start - at);
            int end = text.IndexOf("</think>", start, StringComparison.Ordinal);
            at = end < 0 ? text.Length : end + "</think>".Length;
        }
    }

    /// <summary>Indices 0, 1, 2… in order of start, every delta on an open block, every start stopped; returns the text of text deltas and starts.</summary>
    private static string AssertIndices(Scenario scenario, string output)
    {
        var text = new StringBuilder();
        var open = new Dictionary<int, string>();
        int next = 0;
        foreach (string data in RewriterHarness.SseData(output))
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(data);
            }
            catch (JsonException)
            {
                // Junk the filter may pass outside thinking (never the marker, checked apart).
                continue;
            }

            using (doc)
            {
                JsonElement root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out JsonElement type))
                {
                    continue;
                }

                int index = root.TryGetProperty("index", out JsonElement i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : -1;
                switch (type.GetString())
                {
                    case "content_block_start":
                        Assert.True(index == next, $"{scenario}: start of {index}, expected {next} in {output}");
                        string kind = root.GetProperty("content_block").GetProperty("type").GetString()!;
                        open.Add(index, kind);
                        next++;
                        if (kind == "text")
                        {
                            text.Append(root.GetProperty("content_block").GetProperty("text").GetString());
                        }

                        break;
                    case "content_block_delta":
                        Assert.True(open.ContainsKey(index), $"{scenario}: delta of {index}, not open, in {output}");
                        JsonElement delta = root.GetProperty("delta");
                        if (delta.TryGetProperty("text", out JsonElement t))
                        {
                            text.Append(t.GetString());
                        }

                        if (scenario.Mode == ThinkMode.Split && delta.GetProperty("type").GetString() == "text_delta")
                        {
                            Assert.DoesNotContain(Marker, delta.GetRawText(), StringComparison.Ordinal);
                        }

                        break;
                    case "content_block_stop":
                        Assert.True(open.Remove(index), $"{scenario}: stop of {index}, not open, in {output}");
                        break;
                }
            }
        }

        Assert.True(open.Count == 0, $"{scenario}: blocks never stopped in {output}");
        return text.ToString();
    }

    private static string Run(Scenario scenario, byte[] body, int size, Random random)
    {
        var options = new ResponseRewriteOptions { Mode = scenario.Mode, ThinkTags = scenario.Auto ? null : s_families[scenario.Family].Name };
        using IResponseRewriter rewriter = ResponseRewriterFactory.Create(scenario.Body ? ResponseFraming.JsonBody : ResponseFraming.EventStream, options, api: ResponseApi.Messages)!;
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
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static Generated Generate(Scenario scenario)
    {
        var random = new Random(scenario.Seed);
        (string _, string start, string end) = s_families[scenario.Family];
        var blocks = new List<(string Kind, string Payload, string Answer)>();
        int count = random.Next(1, 6);
        var answers = new StringBuilder();
        for (int b = 0; b < count; b++)
        {
            switch (random.Next(4))
            {
                case 0:
                    blocks.Add(("thinking", Words(random, Marker, random.Next(1, 8)), ""));
                    break;
                case 1:
                    blocks.Add(("redacted_thinking", Words(random, Marker, 2), ""));
                    break;
                case 2:
                    blocks.Add(("tool_use", "{\"city\": \"Paris\"}", ""));
                    break;
                default:
                    // Thought in tags at the start of the text (or none), then the answer.
                    string answer = Words(random, "answer", random.Next(1, 6));
                    string thought = random.Next(3) == 0 ? "" : start + Words(random, Marker, random.Next(1, 6)) + end + "\n\n";
                    blocks.Add(("text", thought + answer, answer));
                    answers.Append(answer);
                    break;
            }
        }

        if (scenario.Body)
        {
            return new Generated(Body(scenario, random, blocks), answers.ToString());
        }

        var events = new List<byte[]>
        {
            Event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-5\",\"stop_reason\":null}}"),
        };
        int junkLeft = scenario.Junk;
        for (int index = 0; index < blocks.Count; index++)
        {
            (string kind, string payload, _) = blocks[index];
            string startBlock = kind switch
            {
                "thinking" => "{\"type\":\"thinking\",\"thinking\":\"\"}",
                "redacted_thinking" => $"{{\"type\":\"redacted_thinking\",\"data\":\"{payload}\"}}",
                "tool_use" => "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}",
                _ => "{\"type\":\"text\",\"text\":\"\"}",
            };
            events.Add(Event("content_block_start", $"{{\"type\":\"content_block_start\",\"index\":{index},\"content_block\":{startBlock}}}"));
            if (kind != "redacted_thinking")
            {
                string field = kind switch { "thinking" => "thinking", "tool_use" => "partial_json", _ => "text" };
                string deltaType = kind switch { "thinking" => "thinking_delta", "tool_use" => "input_json_delta", _ => "text_delta" };
                // Where the text so far is surely thought: a thinking block's whole text, a text block's between its complete start tag and its end tag.
                int thoughtEnd = kind == "text" ? payload.IndexOf(end, StringComparison.Ordinal) : kind == "thinking" ? payload.Length : -1;
                int thoughtStart = kind == "text" ? start.Length : 0;
                foreach ((string piece, int at) in Pieces(random, payload))
                {
                    bool inThought = at >= thoughtStart && at <= thoughtEnd;
                    if (junkLeft > 0 && inThought && random.Next(3) == 0)
                    {
                        junkLeft--;
                        events.Add(Junk(random, index, inThought));
                    }

                    events.Add(Event("content_block_delta", $"{{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"{deltaType}\",\"{field}\":\"{Escape(piece, scenario.Escaped)}\"}}}}"));
                }

                if (kind == "thinking")
                {
                    events.Add(Event("content_block_delta", $"{{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM{Marker}\"}}}}"));
                }
            }

            events.Add(Event("content_block_stop", $"{{\"type\":\"content_block_stop\",\"index\":{index}}}"));
            if (junkLeft > 0 && random.Next(2) == 0)
            {
                junkLeft--;
                events.Add(Junk(random, index, inThought: false));
            }
        }

        events.Add(Event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null}}"));
        events.Add(Event("message_stop", "{\"type\":\"message_stop\"}"));
        return new Generated([.. events.SelectMany(e => e)], answers.ToString());
    }

    private static byte[] Body(Scenario scenario, Random random, List<(string Kind, string Payload, string Answer)> blocks)
    {
        var content = new List<string>();
        foreach ((string kind, string payload, _) in blocks)
        {
            content.Add(kind switch
            {
                "thinking" => $"{{\"type\":\"thinking\",\"thinking\":\"{Escape(payload, scenario.Escaped)}\",\"signature\":\"EqQB{Marker}\"}}",
                "redacted_thinking" => $"{{\"type\":\"redacted_thinking\",\"data\":\"{payload}\"}}",
                "tool_use" => "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}",
                _ => $"{{\"type\":\"text\",\"text\":\"{Escape(payload, scenario.Escaped)}\"}}",
            });
        }

        string body = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[" + string.Join(",", content) + "],\"stop_reason\":\"end_turn\"}";
        if (scenario.Junk == 0 || !body.Contains(Marker, StringComparison.Ordinal))
        {
            return Encoding.UTF8.GetBytes(body);
        }

        // Junk where the thinking is: the whole body must fail closed.
        int at = body.IndexOf(Marker, StringComparison.Ordinal) + 1;
        return (scenario.Junk % 3) switch
        {
            0 => [.. Encoding.UTF8.GetBytes(body[..at]), 0xFF, 0xE6, .. Encoding.UTF8.GetBytes(body[at..])],
            1 => Encoding.UTF8.GetBytes(body[..at] + "\\udc00" + body[at..]),
            _ => Encoding.UTF8.GetBytes(body[..(at + 3)]),
        };
    }

    /// <summary>Broken events: inside thought they carry the marker (thinking the upstream sent, however broken).</summary>
    private static byte[] Junk(Random random, int index, bool inThought)
    {
        string words = Words(random, inThought ? Marker : "junk", 2);
        string delta = $"{{\"type\":\"content_block_delta\",\"index\":{index},\"delta\":{{\"type\":\"text_delta\",\"text\":\"{words}\"}}}}";
        int at = delta.IndexOf(words, StringComparison.Ordinal) + 1;
        byte[] data = random.Next(6) switch
        {
            0 when inThought => [.. Encoding.UTF8.GetBytes(delta[..at]), 0xFF, 0xE6, .. Encoding.UTF8.GetBytes(delta[at..])],
            1 when inThought => Encoding.UTF8.GetBytes(delta[..at] + "\\udc00" + delta[at..]),
            2 => Encoding.UTF8.GetBytes(delta[..(at + 3)]),
            3 when inThought => Encoding.UTF8.GetBytes($"{{\"type\":\"mystery\",\"note\":\"{words}\"}}"),
            4 => Encoding.UTF8.GetBytes(delta.Replace($"\"index\":{index}", "\"index\":99", StringComparison.Ordinal)),
            _ => Encoding.UTF8.GetBytes(delta.Replace("\"delta\":{", "\"delta\":{\"x\":" + new string('[', 300) + new string(']', 300) + ",", StringComparison.Ordinal)),
        };
        return [.. "event: content_block_delta\ndata: "u8, .. data, .. "\n\n"u8];
    }

    /// <summary>The text cut in 1 to 6 pieces at random points (inside tags too), each with where it starts.</summary>
    private static List<(string Piece, int At)> Pieces(Random random, string text)
    {
        var cuts = new SortedSet<int> { 0, text.Length };
        int n = random.Next(0, 6);
        for (int i = 0; i < n && text.Length > 1; i++)
        {
            cuts.Add(random.Next(1, text.Length));
        }

        int[] points = [.. cuts];
        var pieces = new List<(string, int)>();
        for (int i = 0; i + 1 < points.Length; i++)
        {
            pieces.Add((text[points[i]..points[i + 1]], points[i]));
        }

        return pieces;
    }

    private static byte[] Event(string name, string data) => Encoding.UTF8.GetBytes($"event: {name}\ndata: {data}\n\n");

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

    private sealed record Generated(byte[] Bytes, string Answers);

    private sealed record Scenario(bool Body, ThinkMode Mode, int Family, bool Auto, bool Escaped, int Junk, int Seed)
    {
        public override string ToString() =>
            $"body={Body} mode={Mode} family={s_families[Family].Name} auto={Auto} escaped={Escaped} junk={Junk} seed={Seed}";
    }
}
