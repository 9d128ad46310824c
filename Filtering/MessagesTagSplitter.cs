namespace CotProxy.Filtering;

/// <summary>
/// Split mode in a Messages stream: thought found in tags in a text block goes into a thinking block, the answer into a
/// text block, each opened when its text first comes (the one open before it stopped), numbered in order from the
/// stream's next free index, so later blocks move up. Within one delta thought goes before answer.
/// </summary>
internal static class MessagesTagSplitter
{
    /// <summary>Writes a text block's <paramref name="thought"/> and <paramref name="answer"/> (unescaped) as the events of its blocks.</summary>
    public static void Write(MessagesBlock block, ReadOnlySpan<byte> thought, ReadOnlySpan<byte> answer, ref int next, PooledByteBuffer output)
    {
        if (!thought.IsEmpty)
        {
            if (block.Open != MessagesBlockKind.Thinking)
            {
                StopOpen(block, output);
                block.Client = next++;
                block.Open = MessagesBlockKind.Thinking;
                MessagesEventWriter.ThinkingStart(output, block.Client);
            }

            MessagesEventWriter.Delta(output, block.Client, thought, thinking: true);
        }

        if (!answer.IsEmpty)
        {
            OpenText(block, ref next, output);
            MessagesEventWriter.Delta(output, block.Client, answer, thinking: false);
        }
    }

    /// <summary>Answer comes: the text block opens unless it is open (the upstream's own start the first time).</summary>
    public static void OpenText(MessagesBlock block, ref int next, PooledByteBuffer output)
    {
        if (block.Open == MessagesBlockKind.Text)
        {
            return;
        }

        StopOpen(block, output);
        block.Client = next++;
        block.Open = MessagesBlockKind.Text;
        if (block.HeldStart is { } held)
        {
            MessagesEventWriter.WithIndex(output, held, block.HeldEvent, block.Client);
            block.HeldStart = null;
            return;
        }

        MessagesEventWriter.TextStart(output, block.Client, default, default);
    }

    /// <summary>The upstream text block stopped while a thinking block the filter opened for it was open: that one stops.</summary>
    public static JsonRewriteResult Stop(MessagesBlock block, PooledByteBuffer output)
    {
        MessagesEventWriter.Stop(output, block.Client);
        return JsonRewriteResult.Rewritten;
    }

    private static void StopOpen(MessagesBlock block, PooledByteBuffer output)
    {
        if (block.Open != MessagesBlockKind.None)
        {
            MessagesEventWriter.Stop(output, block.Client);
        }
    }
}
