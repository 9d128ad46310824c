using System.Text;

namespace CotProxy.Filtering;

/// <summary>
/// One way a model marks its thinking in the text: the tags that open a thought, the tags that close it, and (Harmony) the
/// markers that frame the answer and are removed from it. The built-in families are immutable and shared; a profile's
/// <c>think_tags</c> names one of them, or <c>auto</c> for all of them (see <see cref="ThinkTagSet"/>).
/// </summary>
internal sealed class ThinkTagFamily
{
    /// <summary>The <c>think_tags</c> value that recognises every built-in family and picks the one a response opens with.</summary>
    public const string AutoName = "auto";

    /// <summary>The name a family built from <c>think_tag_start</c> / <c>think_tag_end</c> (or THINK_TAG / THINK_END_TAG) carries.</summary>
    public const string CustomName = "custom";

    private static readonly ThinkTagFamily[] s_builtIn =
    [
        Simple("think", "<think>", "</think>"),
        // Anthropic-style prompting and several fine-tunes write <thinking>; vLLM's and llama.cpp's parsers take it as a custom pair.
        Simple("thinking", "<thinking>", "</thinking>"),
        Simple("thought", "<thought>", "</thought>"),
        Simple("reasoning", "<reasoning>", "</reasoning>"),
        // ByteDance Seed-OSS: vLLM's seedoss_reasoning_parser.py (start "<seed:think>", end "</seed:think>").
        Simple("seed", "<seed:think>", "</seed:think>"),
        // Mistral Magistral: vLLM's mistral_reasoning_parser.py ([THINK] and [/THINK] control tokens).
        Simple("mistral", "[THINK]", "[/THINK]"),
        // gpt-oss raw Harmony channels. vLLM's gptoss_reasoning_parser.py: the thought is "<|channel|>analysis<|message|>" …
        // "<|end|>", and reasoning ends at "<|start|>assistant<|channel|>final<|message|>"; llama.cpp's test-chat-parser.cpp
        // (test_gpt_oss_harmony_format) has the analysis end straight at that final header, and the final message end in
        // "<|end|>". A later analysis message repeats its header ("<|start|>assistant<|channel|>analysis<|message|>").
        new("harmony",
            starts: ["<|channel|>analysis<|message|>", "<|start|>assistant<|channel|>analysis<|message|>"],
            ends: ["<|end|>", "<|start|>assistant<|channel|>final<|message|>", "<|channel|>final<|message|>"],
            drops: ["<|start|>assistant<|channel|>final<|message|>", "<|channel|>final<|message|>", "<|end|>", "<|return|>"]),
    ];

    private ThinkTagFamily(string name, string[] starts, string[] ends, string[] drops)
    {
        Name = name;
        StartTags = starts;
        EndTags = ends;
        DropMarkers = drops;
        Starts = [.. starts.Select(Encoding.UTF8.GetBytes)];
        Ends = [.. ends.Select(Encoding.UTF8.GetBytes)];
        Drops = [.. drops.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary><c>think</c>, <c>thinking</c>, <c>thought</c>, <c>reasoning</c>, <c>seed</c>, <c>mistral</c>, <c>harmony</c>, or <c>custom</c>.</summary>
    public string Name { get; }

    /// <summary>The tags that open a thought; the first is the family's own spelling (the one written back in merge mode).</summary>
    public IReadOnlyList<string> StartTags { get; }

    /// <summary>The tags that close a thought; the first is the family's own spelling.</summary>
    public IReadOnlyList<string> EndTags { get; }

    /// <summary>Markers removed from the answer wherever they stand (Harmony's final-channel header and message ends); usually none.</summary>
    public IReadOnlyList<string> DropMarkers { get; }

    /// <summary>The built-in families, in the order <c>auto</c> tries them.</summary>
    public static IReadOnlyList<ThinkTagFamily> BuiltIn => s_builtIn;

    /// <summary>The accepted <c>think_tags</c> values, for error messages.</summary>
    public static string AcceptedNames => AutoName + ", " + string.Join(", ", s_builtIn.Select(f => f.Name));

    internal byte[][] Starts { get; }

    internal byte[][] Ends { get; }

    internal byte[][] Drops { get; }

    /// <summary>The built-in family called <paramref name="name"/> (case-sensitive, as the other profile values are).</summary>
    public static bool TryGet(string name, out ThinkTagFamily family)
    {
        foreach (ThinkTagFamily candidate in s_builtIn)
        {
            if (candidate.Name == name)
            {
                family = candidate;
                return true;
            }
        }

        family = null!;
        return false;
    }

    /// <summary>A family of one start tag and one end tag (never empty), named <see cref="CustomName"/> unless it is a built-in pair.</summary>
    public static ThinkTagFamily Custom(string startTag, string endTag)
    {
        ArgumentException.ThrowIfNullOrEmpty(startTag);
        ArgumentException.ThrowIfNullOrEmpty(endTag);
        foreach (ThinkTagFamily candidate in s_builtIn)
        {
            if (candidate.StartTags.Count == 1 && candidate.StartTags[0] == startTag && candidate.EndTags[0] == endTag)
            {
                return candidate;
            }
        }

        return new ThinkTagFamily(CustomName, [startTag], [endTag], []);
    }

    private static ThinkTagFamily Simple(string name, string start, string end) => new(name, [start], [end], []);
}
