namespace CotProxy.Filtering;

/// <summary>
/// Strip mode: what one answer field of the current choice held (its decoded text) and which of its bytes the client
/// still sees, so that <see cref="LogprobsWriter"/> can keep the logprobs of visible tokens only. Reused for every
/// choice of every document: nothing here allocates per event once its buffers have grown.
/// </summary>
internal sealed class LogprobTrack : IDisposable
{
    /// <summary>The field's text as it came, unescaped.</summary>
    public PooledByteBuffer Text { get; } = new();

    /// <summary>The ranges of <see cref="Text"/> written to the answer as they stood (see <see cref="ThinkTagStripper.VisibleRanges"/>).</summary>
    public List<(int Start, int End)> Visible { get; } = [];

    /// <summary>The field was filtered as a string in the current choice.</summary>
    public bool Seen { get; private set; }

    /// <summary>The field could not be read and was removed whole (failing closed): none of its tokens shows.</summary>
    public bool AllHidden { get; private set; }

    /// <summary>Non-empty reasoning the server separated was removed from the same delta or message.</summary>
    public bool ReasoningRemoved { get; set; }

    /// <summary>Something of this choice's text is hidden: its logprobs must be matched against what shows.</summary>
    public bool Hides => AllHidden || ReasoningRemoved || (Seen && !(Text.Length == 0 || (Visible.Count == 1 && Visible[0] == (0, Text.Length))));

    public void Reset()
    {
        Text.Clear();
        Visible.Clear();
        Seen = false;
        AllHidden = false;
        ReasoningRemoved = false;
    }

    /// <summary>The field's text is about to be filtered: its ranges start afresh.</summary>
    public void Begin(ReadOnlySpan<byte> text)
    {
        Text.Clear();
        Text.Append(text);
        Visible.Clear();
        Seen = true;
    }

    public void MarkAllHidden() => AllHidden = true;

    /// <summary>Bytes [<paramref name="start"/>, <paramref name="end"/>) of the text, not empty, lie within one visible range.</summary>
    public bool Shows(int start, int end)
    {
        if (AllHidden || end <= start)
        {
            return false;
        }

        foreach ((int from, int to) in Visible)
        {
            if (from <= start && end <= to)
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => Text.Dispose();
}
