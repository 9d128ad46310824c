using System.Buffers;
using System.Text;
using CotProxy.Filtering;

namespace CotProxy.Fuzz.Targets;

/// <summary>
/// The response rewriters (Filtering/: ResponseRewriterFactory's FramedDocumentRewriter, SniffingResponseRewriter) for one
/// framing. Input byte 0, bit 0 chooses how the rest is read:
/// <list type="bullet">
/// <item>0, raw: the rest after one more byte (the cut plan, which also picks the API: chat-style choices, the Responses
/// API or Anthropic's Messages, and merge in place of split) is the upstream body as is; strip, split or merge mode; only
/// a crash, a hang or an allocation past the budget can fail.</item>
/// <item>1, script: the rest is a <see cref="RewriterScript"/> that writes a stream whose thought text is the marker
/// <see cref="RewriterScript.Marker"/>, among hostile bytes; in strip mode the output must never hold the marker.</item>
/// </list>
/// </summary>
internal static class RewriterTarget
{
    /// <summary>The rewriters' limit on one event or document: small, so the fuzzer reaches it.</summary>
    public const int Limit = 4096;

    private static readonly string?[] s_families = [null, "think", "thinking", "seed", "mistral", "harmony", "thought", "reasoning"];

    public static void Run(ResponseFraming framing, byte[] data)
    {
        if (data.Length < 2)
        {
            return;
        }

        var flags = data[0];
        var sniff = (flags & 2) != 0;
        ResponseFraming? label = (flags & 4) != 0 ? null : framing;
        if ((flags & 1) == 0)
        {
            // Bits 5-7 pick the tag family: auto or one of the built-in ones; the cut plan's byte picks the API and merge.
            var plan = data[1];
            var options = new ResponseRewriteOptions
            {
                Mode = (flags & 8) == 0 ? ThinkMode.Strip : (plan & 64) != 0 ? ThinkMode.Merge : ThinkMode.Split,
                StartsOpen = (flags & 16) != 0,
                ThinkTags = s_families[flags >> 5],
            };
            var body = data[2..];
            Rewrite(framing, sniff, label, options, body, Cuts.Plan(body.Length, plan), [], (ResponseApi)(plan % 3));
            return;
        }

        var script = RewriterScript.Build(framing, data);
        // The script's oracle reads a tag wherever it stands (the last tag wins): think_tags_anywhere=true.
        var stripOptions = new ResponseRewriteOptions { Mode = ThinkMode.Strip, StartsOpen = script.StartsOpen, TagsAnywhere = true };
        var cuts = Cuts.Plan(script.Body.Length, data[1]).Union(script.Cuts).Order().ToList();
        var output = Rewrite(framing, sniff, label, stripOptions, script.Body, cuts, script.Pauses);
        if (Environment.GetEnvironmentVariable("FUZZ_SHOW") == "1")
        {
            // Replay's view of a script input: the body it wrote and what the rewriter made of it.
            Console.WriteLine($"--- body ({(sniff ? "sniffing" : "factory")}, label {label?.ToString() ?? "none"}, starts open {script.StartsOpen}):\n{Encoding.UTF8.GetString(script.Body)}\n--- output:\n{Encoding.UTF8.GetString(output)}\n---");
        }

        CheckNoThought(framing == ResponseFraming.EventStream ? DataLines(output) : output, $"{(sniff ? "the sniffing rewriter" : "the rewriter")} ({framing}, label {label?.ToString() ?? "none"})");
    }

    /// <summary>Fails when the strip-mode <paramref name="output"/> holds the script's thought marker, showing it in context.</summary>
    public static void CheckNoThought(byte[] output, string rewriter)
    {
        var at = output.AsSpan().IndexOf(RewriterScript.MarkerUtf8);
        if (at >= 0)
        {
            var from = Math.Max(0, at - 200);
            var context = Encoding.UTF8.GetString(output.AsSpan(from, Math.Min(output.Length - from, 400)));
            throw new FuzzFailureException($"thought text in the strip-mode output of {rewriter}:\n{context}");
        }
    }

    /// <summary>
    /// The data lines of an event stream: what an SSE client receives (WHATWG HTML §9.2.6 ignores every other field). A
    /// hostile line break inside a string can leave the rest of a document on a line of its own, which is no data line.
    /// </summary>
    public static byte[] DataLines(byte[] output)
    {
        var data = new List<byte>();
        foreach (var line in Encoding.Latin1.GetString(output).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'))
        {
            if (line.StartsWith("data", StringComparison.Ordinal) && (line.Length == 4 || line[4] == ':'))
            {
                data.AddRange(Encoding.Latin1.GetBytes(line + "\n"));
            }
        }

        return [.. data];
    }

    /// <summary>Writes the body in pieces (at each cut); where the upstream pauses, the proxy asks for a keep-alive and gives idle buffers back.</summary>
    private static byte[] Rewrite(ResponseFraming framing, bool sniff, ResponseFraming? label, ResponseRewriteOptions options, byte[] body, List<int> cuts, HashSet<int> pauses, ResponseApi api = ResponseApi.Choices)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        using var rewriter = sniff
            ? new SniffingResponseRewriter(label, options, Limit, api)
            : ResponseRewriterFactory.Create(framing, options, Limit, api)!;
        var output = new ArrayBufferWriter<byte>();
        var from = 0;
        foreach (var cut in cuts.Append(body.Length))
        {
            rewriter.Write(body.AsSpan(from, cut - from), output);
            from = cut;
            if (pauses.Contains(cut))
            {
                rewriter.TryWriteKeepAlive(output);
                rewriter.ReleaseIdleBuffers();
            }
        }

        rewriter.Complete(output);
        FuzzTargets.CheckAllocation(allocatedBefore, body.Length, "rewriting the body");
        return output.WrittenSpan.ToArray();
    }
}
