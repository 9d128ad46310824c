using System.Buffers;
using System.Text;
using CotProxy.Filtering;
using CotProxy.Tests.Support;
using CsCheck;

namespace CotProxy.Tests.Filtering;

/// <summary>
/// The steady-event probe answers only where the probe and the full path would give the same bytes: generated one-choice
/// streams (answers, thoughts, tags, reasoning fields, roles, payload, finishes, spacing, names spelt as values) come out
/// byte for byte the same with it on and off, in every mode. A failure message carries CsCheck's seed; replay it with
/// <c>CsCheck_Seed=&lt;seed&gt; dotnet test --filter SteadyEventProbeTests</c>.
/// </summary>
public sealed class SteadyEventProbeTests
{
    private static readonly string[] s_pieces =
    [
        "Hello", " world", "\\n", " a\\tb", "<think>", "</think>", "<th", "ink>", "</th", "thought", "  ", "role", "finish_reason",
        "\\\"q\\\"", "\\u0041", "é日", "index", "<", ">", "x",
    ];

    private static readonly Gen<string> s_event =
        from kind in Gen.Int[0, 14]
        from text in Gen.Int[0, s_pieces.Length - 1].Array[1, 3].Select(ix => string.Concat(ix.Select(i => s_pieces[i])))
        from spaced in Gen.Bool
        select Event(kind, text, spaced);

    private static readonly Gen<(string[] Events, int Mode, bool StartsOpen)> s_streams =
        Gen.Select(s_event.Array[1, 40], Gen.Int[0, 1], Gen.Bool);

    [Fact]
    public void Rewrite_SteadyProbeOnOrOff_SameBytesEveryMode()
    {
        long decided = 0;
        s_streams.Sample(stream =>
        {
            string body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
                + string.Concat(stream.Events.Select(e => "data: " + e + "\n\n")) + "data: [DONE]\n\n";
            var mode = stream.Mode == 0 ? ThinkMode.Strip : ThinkMode.Split;
            var (on, steady) = Run(body, new ResponseRewriteOptions { Mode = mode, StartsOpen = stream.StartsOpen });
            var (off, _) = Run(body, new ResponseRewriteOptions { Mode = mode, StartsOpen = stream.StartsOpen, SteadyProbeOff = true });
            Assert.True(on == off, $"{mode}{(stream.StartsOpen ? " starts-open" : "")}: outputs differ\n--- body:\n{body}\n--- on:\n{on}\n--- off:\n{off}");
            Interlocked.Add(ref decided, steady);
        }, iter: 2000);

        // The property holds because the probe answered where it could, not because it never did.
        Assert.True(decided > 200, $"the steady probe decided only {decided} events");
    }

    [Fact]
    public void Rewrite_ThinkStream_MostEventsDecidedBySteadyProbe()
    {
        string body = File.ReadAllText(RepositoryFile.PathOf("bench/think-stream-35k.sse"));
        var (_, steady) = Run(body, new ResponseRewriteOptions());
        Assert.True(steady >= 190, $"only {steady} of the 203 events took the steady probe");
    }

    private static (string Output, long Steady) Run(string body, ResponseRewriteOptions options)
    {
        var rewriter = (FramedDocumentRewriter)ResponseRewriterFactory.Create(ResponseFraming.EventStream, options)!;
        using (rewriter)
        {
            var output = new ArrayBufferWriter<byte>();
            rewriter.Write(Encoding.UTF8.GetBytes(body), output);
            rewriter.Complete(output);
            return (Encoding.UTF8.GetString(output.WrittenSpan), rewriter.SteadyPasses);
        }
    }

    private static string Event(int kind, string text, bool spaced)
    {
        string colon = spaced ? " : " : ":";
        string delta = $"\"delta\"{colon}{{\"content\"{colon}\"{text}\"}}";
        return kind switch
        {
            // Plain deltas, the common event (most of the stream).
            <= 5 => $"{{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\"{colon}0,{delta},\"finish_reason\"{colon}null}}]}}",
            6 => $"{{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\",\"reasoning_content\":\"r\"}}}}]}}",
            7 => $"{{\"choices\":[{{\"index\":0,\"delta\":{{\"reasoning\":\"{text}\"}}}}]}}",
            8 => $"{{\"choices\":[{{\"index\":0,{delta},\"logprobs\":{{\"content\":[{{\"token\":\"t\"}}]}}}}]}}",
            9 => $"{{\"choices\":[{{\"index\":0,{delta}}}],\"usage\":null}}",
            10 => $"{{\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"function\":{{\"arguments\":\"{text}\"}}}}]}}}}]}}",
            11 => $"{{\"choices\":[{{\"index\":0,{delta},\"finish_reason\":\"stop\"}}]}}",
            12 => $"{{\"choices\":[{{\"index\":1,{delta}}}]}}",
            13 => $"{{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"\"}}}}]}}",
            _ => $"{{\"choices\":[{{\"index\":0,{delta}}},{{\"delta\":{{\"content\":\"{text}\"}}}}]}}",
        };
    }
}
