using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Filtering;
using CotProxy.Tests.Support;
using CsCheck;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// The event template (<see cref="EventTemplate"/>) decides only where the probe would decide the same, and the probe only
/// where the full path would write the same bytes: generated streams in a real server's repeating shape (every byte of an
/// event the same but the content value, with tags of every family cut at random, spacing, colons, braces, escapes, roles,
/// finishes, usage, reasoning fields, a second choice, the model before or after the choices, a field that changes every
/// event) come out byte for byte the same with the template on, with it off, and with the fast path off, in every mode,
/// tag family, anchoring and framing, with and without a pseudo-model name to put back, fed whole or cut at random.
/// A failure message carries CsCheck's seed; replay it with <c>CsCheck_Seed=&lt;seed&gt; dotnet test --filter EventTemplateTests</c>.
/// </summary>
public sealed class EventTemplateTests
{
    private static readonly JsonSerializerOptions s_compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] s_families = ["think", "thinking", "thought", "reasoning", "seed", "mistral", "harmony"];

    /// <summary>Each family's tags (the first start tag and end tag) as the text of a stream writes them.</summary>
    private static readonly (string Start, string End)[] s_tags =
    [
        ("<think>", "</think>"), ("<thinking>", "</thinking>"), ("<thought>", "</thought>"), ("<reasoning>", "</reasoning>"),
        ("<seed:think>", "</seed:think>"), ("[THINK]", "[/THINK]"), ("<|channel|>analysis<|message|>", "<|end|>"),
    ];

    /// <summary>Text pieces as they stand in a JSON string (escapes written out); plain words are the common case.</summary>
    private static readonly string[] s_pieces =
    [
        " the", " answer", " is", "word", " 42", ".", ",", " é日", "—", " ", "  ", "\\n", "\\n\\n", ":", " :", ": ", "a:b", "{", "}", "[",
        "]", "<", ">", "</", "<b>", "\\\"", "\\\\", "\\t", "\\u003c", "\\/", "x ", " x", ",{", ", {",
    ];

    /// <summary>Bytes no valid JSON string holds, which the probe still reads (its walk takes them for spacing).</summary>
    private static readonly string[] s_raw = ["\t:", "\u0001", "a\n:"];

    private static readonly Gen<Scenario> s_scenarios =
        from mode in Gen.Int[0, 3]
        from family in Gen.Int[-1, s_families.Length - 1]
        from anywhere in Gen.Bool
        from startsOpen in Gen.Bool
        from alias in Gen.Int[0, 3]
        from field in Gen.Int[0, 2]
        from shape in Gen.Int[0, 3]
        from ndjson in Gen.Bool
        from raw in Gen.Int[0, 9]
        from seed in Gen.Int
        select new Scenario((ThinkMode)mode, family, anywhere, startsOpen, alias, field, shape, ndjson, raw == 0, seed);

    [Fact]
    public void Rewrite_TemplateOnOffOrFullPath_SameBytes()
    {
        long decided = 0;
        long documents = 0;
        s_scenarios.Sample(scenario =>
        {
            byte[] body = Body(scenario, out int events);
            ResponseRewriteOptions Options(bool templatesOff, bool fastPathOff) => new()
            {
                Mode = scenario.Mode,
                ThinkTags = scenario.Family < 0 ? null : s_families[scenario.Family],
                TagsAnywhere = scenario.Anywhere,
                StartsOpen = scenario.StartsOpen,
                ClientModelName = scenario.Alias switch { 1 => "alias", 2 => "m", 3 => "a\"é", _ => null },
                ReasoningField = scenario.Field switch { 1 => ResponseRewriteOptions.BothReasoningFields, 2 => "reasoning", _ => ResponseRewriteOptions.DefaultReasoningField },
                EventTemplatesOff = templatesOff,
                FastPathOff = fastPathOff,
            };

            var random = new Random(scenario.Seed);
            int cut = random.Next(3) switch { 0 => 0, 1 => -1, _ => random.Next(1, 40) };
            (string on, long templates, long onPasses) = Run(scenario, Options(false, false), body, cut, scenario.Seed);
            (string off, long offTemplates, long offPasses) = Run(scenario, Options(true, false), body, cut, scenario.Seed);
            (string full, _, _) = Run(scenario, Options(true, true), body, cut, scenario.Seed);
            string input = Encoding.UTF8.GetString(body);
            Assert.True(on == off, $"{scenario}: template on and off differ\n--- body:\n{input}\n--- on:\n{on}\n--- off:\n{off}");
            // Not only the same bytes: the same documents decided without the full path (the template never decides one the probe would not).
            Assert.True(onPasses == offPasses, $"{scenario}: {onPasses} documents passed the fast path with the template, {offPasses} without\n--- body:\n{input}");
            if (scenario.Raw)
            {
                // Not JSON: the full path drops what it cannot read, where the probe may pass an answer as it came.
                return;
            }

            // The full path writes what it rewrites compactly: spaced input it renamed is compared document by document.
            Assert.True(scenario.Shape == 1 ? Compact(off) == Compact(full) : off == full, $"{scenario}: probe and full path differ\n--- body:\n{input}\n--- probe:\n{off}\n--- full:\n{full}");
            Assert.Equal(0, offTemplates);
            Interlocked.Add(ref decided, templates);
            Interlocked.Add(ref documents, events);
        }, iter: 1500, print: s => s.ToString());

        // The property holds because the template answered where it could, not because it never did.
        Assert.True(decided > documents / 10, $"the template decided only {decided} of {documents} documents");
    }

    [Fact]
    public void Rewrite_ThinkStream_MostEventsDecidedByTemplate()
    {
        byte[] body = File.ReadAllBytes(RepositoryFile.PathOf("bench/think-stream-35k.sse"));
        foreach (ThinkMode mode in new[] { ThinkMode.Strip, ThinkMode.Split })
        {
            (string on, long templates, _) = Run(null, new ResponseRewriteOptions { Mode = mode }, body, 0, 0);
            (string off, _, _) = Run(null, new ResponseRewriteOptions { Mode = mode, EventTemplatesOff = true }, body, 0, 0);

            Assert.Equal(off, on);
            // 203 events: the role, the tags, the finish and what follows each change of state go to the probe or the full path.
            Assert.True(templates >= 190, $"{mode}: only {templates} of the 203 events took the template");
        }
    }

    [Fact]
    public void ReleaseIdleBuffers_AfterTemplate_HoldsNoArrayAndSameOutput()
    {
        byte[] body = File.ReadAllBytes(RepositoryFile.PathOf("bench/think-stream-35k.sse"));
        using var rewriter = new FramedDocumentRewriter(ResponseFraming.EventStream, new ResponseRewriteOptions(), 1 << 20);
        var output = new ArrayBufferWriter<byte>();
        int half = Encoding.UTF8.GetString(body).IndexOf("\n\n", body.Length / 2, StringComparison.Ordinal) + 2;
        rewriter.Write(body.AsSpan(0, half), output);
        Assert.True(rewriter.TemplatePasses > 0);

        rewriter.ReleaseIdleBuffers();
        Assert.Equal(0, rewriter.BufferCapacity);
        rewriter.Write(body.AsSpan(half), output);
        rewriter.Complete(output);

        Assert.Equal(Run(null, new ResponseRewriteOptions { EventTemplatesOff = true }, body, 0, 0).Output, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static (string Output, long Templates, long Passes) Run(Scenario? scenario, ResponseRewriteOptions options, byte[] body, int cut, int seed)
    {
        var framing = scenario is { Ndjson: true } ? ResponseFraming.Ndjson : ResponseFraming.EventStream;
        using var rewriter = new FramedDocumentRewriter(framing, options, 1 << 20);
        var output = new ArrayBufferWriter<byte>();
        var random = new Random(seed);
        int offset = 0;
        while (offset < body.Length)
        {
            int length = Math.Min(cut switch { 0 => body.Length, -1 => random.Next(1, 400), _ => cut }, body.Length - offset);
            rewriter.Write(body.AsSpan(offset, length), output);
            offset += length;
        }

        rewriter.Complete(output);
        return (Encoding.UTF8.GetString(output.WrittenSpan), rewriter.TemplatePasses, rewriter.ProbePasses);
    }

    /// <summary>Every line that is a JSON document (after "data: " in a stream) written again without spacing.</summary>
    private static string Compact(string output) => string.Join('\n', output.Split('\n').Select(line =>
    {
        string prefix = line.StartsWith("data: ", StringComparison.Ordinal) ? "data: " : "";
        try
        {
            return prefix + JsonNode.Parse(line[prefix.Length..])!.ToJsonString(s_compact);
        }
        catch (JsonException)
        {
            return line;
        }
    }));

    /// <summary>A stream in one server's shape: mostly content deltas, each choice's text made of pieces and its family's tags.</summary>
    private static byte[] Body(Scenario scenario, out int events)
    {
        var random = new Random(scenario.Seed);
        (string start, string end) = s_tags[scenario.Family < 0 ? random.Next(s_tags.Length) : scenario.Family];
        bool ollama = scenario.Ndjson && scenario.Shape == 3;
        int choices = !ollama && random.Next(5) == 0 ? 2 : 1;
        string colon = scenario.Shape == 1 ? ": " : ":";
        string comma = scenario.Shape == 1 ? ", " : ",";
        bool modelLast = scenario.Shape == 2;
        var text = new StringBuilder();
        int documents = 0;
        void Add(string document)
        {
            documents++;
            text.Append(scenario.Ndjson ? document + "\n" : "data: " + document + "\n\n");
        }

        string Chunk(int choice, string delta, string finish)
        {
            if (ollama)
            {
                return $"{{\"model\":\"m\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{{\"role\":\"assistant\",{delta}}},\"done\":{(finish == "null" ? "false" : "true")}}}";
            }

            string model = $"\"model\"{colon}\"m\"";
            string head = $"{{\"id\"{colon}\"chatcmpl-1\"{comma}\"object\"{colon}\"chat.completion.chunk\"{comma}\"created\"{colon}1700000000{comma}{(modelLast ? "" : model + comma)}";
            string tail = (modelLast ? comma + model : "") + (random.Next(12) == 0 ? $"{comma}\"obfuscation\"{colon}\"{random.Next(1000)}\"" : "") + "}";
            return $"{head}\"choices\"{colon}[{{\"index\"{colon}{choice}{comma}\"delta\"{colon}{{{delta}}}{comma}\"logprobs\"{colon}null{comma}\"finish_reason\"{colon}{finish}}}]{tail}";
        }

        string Content(string value) => $"\"content\"{colon}\"{value}\"";
        for (int choice = 0; choice < choices; choice++)
        {
            Add(Chunk(choice, $"\"role\"{colon}\"assistant\"{comma}{Content("")}", "null"));
        }

        int count = random.Next(5, 60);
        for (int i = 0; i < count; i++)
        {
            int choice = random.Next(choices);
            int kind = random.Next(40);
            string value = kind switch
            {
                0 => start,
                1 => end,
                2 => start[..(start.Length / 2)],
                3 => start[(start.Length / 2)..],
                4 => end[..(end.Length / 2)],
                5 => end[(end.Length / 2)..],
                6 => "",
                7 when scenario.Raw => s_raw[random.Next(s_raw.Length)],
                _ => string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(5) == 0 ? s_pieces[random.Next(s_pieces.Length)] : " word" + random.Next(10))),
            };
            string delta = random.Next(25) switch
            {
                0 => $"{Content(value)}{comma}\"reasoning_content\"{colon}\"r\"",
                1 => $"\"tool_calls\"{colon}[{{\"index\"{colon}0{comma}\"function\"{colon}{{\"arguments\"{colon}\"{{}}\"}}}}]",
                2 => $"\"content\"{colon}null",
                _ => Content(value),
            };
            Add(random.Next(30) == 0 && !ollama ? Chunk(choice, delta, "null").Replace("\"choices\"", $"\"usage\"{colon}null{comma}\"choices\"", StringComparison.Ordinal) : Chunk(choice, delta, "null"));
        }

        for (int choice = 0; choice < choices; choice++)
        {
            Add(Chunk(choice, Content(random.Next(2) == 0 ? "" : " end"), "\"stop\""));
        }

        if (!scenario.Ndjson)
        {
            text.Append("data: [DONE]\n\n");
        }

        events = documents;
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Shape: 0 compact, 1 spaced as Python's json.dumps writes it, 2 the model after the choices, 3 Ollama's native shape (NDJSON).</summary>
    private sealed record Scenario(ThinkMode Mode, int Family, bool Anywhere, bool StartsOpen, int Alias, int Field, int Shape, bool Ndjson, bool Raw, int Seed);
}
