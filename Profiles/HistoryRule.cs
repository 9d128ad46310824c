using System.Text;

namespace CotProxy.Profiles;

/// <summary>
/// History hygiene for one model: what is taken out of the earlier assistant turns a client sends back. Built once per
/// profile (and once for the global filter).
/// </summary>
internal sealed class HistoryRule
{
    /// <param name="tags">The start and end tags of the model's thinking blocks, each pair matched on its own.</param>
    /// <param name="startsOpen">think_starts_open: text before the first end tag is thinking.</param>
    /// <param name="keepToolCallReasoning">keep_tool_call_reasoning: an assistant turn with tool calls is left whole.</param>
    public HistoryRule(IReadOnlyList<(string Start, string End)> tags, bool startsOpen, bool keepToolCallReasoning)
    {
        Tags = [.. tags.Select(t => new ThinkTagPair(Encoding.UTF8.GetBytes(t.Start), Encoding.UTF8.GetBytes(t.End)))];
        StartsOpen = startsOpen;
        KeepToolCallReasoning = keepToolCallReasoning;
    }

    public ThinkTagPair[] Tags { get; }

    public bool StartsOpen { get; }

    public bool KeepToolCallReasoning { get; }
}
