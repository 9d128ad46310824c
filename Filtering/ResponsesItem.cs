namespace CotProxy.Filtering;

/// <summary>One output item of a Responses stream: where the client sees it, whether it is hidden, its texts' filters.</summary>
internal sealed class ResponsesItem : IDisposable
{
    private readonly List<ThinkTagStripper?> _texts = [];

    public ResponsesItem(int upstreamIndex, int clientIndex, byte[] id, bool reasoning, bool message)
    {
        UpstreamIndex = upstreamIndex;
        ClientIndex = clientIndex;
        Id = id;
        Reasoning = reasoning;
        Message = message;
    }

    /// <summary>The output_index the upstream gave it.</summary>
    public int UpstreamIndex { get; }

    /// <summary>The output_index the client sees (-1 when hidden); moves up when split mode puts a reasoning item before it.</summary>
    public int ClientIndex { get; set; }

    public byte[] Id { get; }

    /// <summary>A reasoning item: the server's own separated thought.</summary>
    public bool Reasoning { get; }

    public bool Message { get; }

    /// <summary>output_item.done was seen.</summary>
    public bool Finished { get; set; }

    /// <summary>The stripper of output_text <paramref name="contentIndex"/>, created the first time it is asked for.</summary>
    public ThinkTagStripper Text(int contentIndex, ResponseRewriteOptions options)
    {
        while (_texts.Count <= contentIndex)
        {
            _texts.Add(null);
        }

        return _texts[contentIndex] ??= new ThinkTagStripper(options.Tags, options.StartsOpen, options.Mode == ThinkMode.Merge);
    }

    /// <summary>The stripper of output_text <paramref name="contentIndex"/> if one was made.</summary>
    public ThinkTagStripper? FindText(int contentIndex) => contentIndex >= 0 && contentIndex < _texts.Count ? _texts[contentIndex] : null;

    /// <summary>Some text of this unfinished item may be inside a thought.</summary>
    public bool MayBeInThought
    {
        get
        {
            if (Finished)
            {
                return false;
            }

            foreach (ThinkTagStripper? text in _texts)
            {
                if (text is { MayBeInThought: true })
                {
                    return true;
                }
            }

            return false;
        }
    }

    public void Dispose()
    {
        foreach (ThinkTagStripper? text in _texts)
        {
            text?.Dispose();
        }
    }
}
