namespace CotProxy.Filtering;

/// <summary>Filter state of one choice index (or of the single Ollama message) across a stream.</summary>
internal sealed class ChoiceFilterState : IDisposable
{
    /// <summary>Key used for Ollama native bodies, which have no choices.</summary>
    public const int OllamaIndex = int.MinValue;

    private readonly ResponseRewriteOptions _options;
    private ThinkTagStripper? _content;
    private ThinkTagStripper? _text;

    public ChoiceFilterState(int index, ResponseRewriteOptions options)
    {
        Index = index;
        _options = options;
    }

    public int Index { get; }

    /// <summary>finish_reason (or Ollama done) was seen; the strippers were completed.</summary>
    public bool Finished { get; set; }

    /// <summary>A role was already sent for this choice (it is payload only the first time).</summary>
    public bool RoleSeen { get; set; }

    /// <summary>Merge mode: separated reasoning of this choice was opened in its answer and not yet closed (see <see cref="ReasoningMerger"/>).</summary>
    public bool ReasoningOpen { get; set; }

    /// <summary>Ollama: the stream uses root "response" (/api/generate) rather than "message".</summary>
    public bool OllamaUsesResponse { get; set; }

    /// <summary>Stripper of delta.content (or Ollama message.content / response).</summary>
    public ThinkTagStripper Content => _content ??= Create();

    /// <summary>Stripper of choices[i].text, which some servers send beside delta.content.</summary>
    public ThinkTagStripper Text => _text ??= Create();

    public bool HasContent => _content is not null;

    public bool HasText => _text is not null;

    /// <summary>Unfinished, and the next text of a field seen may be thinking (inside a thought, or holding a tag prefix).</summary>
    public bool MayBeInThought => !Finished && (_content is { MayBeInThought: true } || _text is { MayBeInThought: true });

    /// <summary>Unfinished, with a field seen, and every field's stripper past the point where a tag can count (<see cref="ThinkTagStripper.AcceptsNoTag"/>).</summary>
    public bool AcceptsNoTag => !Finished && (_content is not null || _text is not null)
        && (_content is null || _content.AcceptsNoTag) && (_text is null || _text.AcceptsNoTag);

    /// <summary>
    /// The strippers of the fields present are steady answers (and the role was already seen when the
    /// event carries one): a tag-free event of this choice would leave the state as it is.
    /// </summary>
    public bool IsSteady(bool content, bool text, bool role)
    {
        if (Finished || (role && !RoleSeen && Index != OllamaIndex))
        {
            return false;
        }

        return (!content || _content is { IsSteadyAnswer: true }) && (!text || _text is { IsSteadyAnswer: true });
    }

    /// <summary>
    /// In the middle of a thought its start tag opened (not a starts-open one, whose text is held),
    /// holding no tag prefix, the role already seen when the event carries one: text with no byte a
    /// tag begins with is all thinking and leaves the state as it is.
    /// </summary>
    public bool IsSteadyThought(bool role)
    {
        if (Finished || (role && !RoleSeen && Index != OllamaIndex) || _content is null)
        {
            return false;
        }

        return _content.State == ThinkTagStripperState.Thought && _content.ThoughtStarted && _content.HeldBytes == 0 && (_text is null || _text.InThought);
    }

    /// <summary>Merge mode: the answer is inside a tag block whose start tag was already written (its end tag will follow).</summary>
    public bool InWrittenMergedThought => !Finished && _content is { State: ThinkTagStripperState.Thought, ThoughtStarted: true };

    /// <summary>True while this choice is inside thinking the client does not see.</summary>
    public bool InHiddenThought(ThinkMode mode)
    {
        if (Finished)
        {
            return false;
        }

        return IsHidden(_content, mode) || IsHidden(_text, mode);
    }

    public void Dispose()
    {
        _content?.Dispose();
        _text?.Dispose();
    }

    private static bool IsHidden(ThinkTagStripper? stripper, ThinkMode mode)
    {
        if (stripper is null)
        {
            return false;
        }

        // In split and merge mode thinking streams to the client; only held starts-open text is unseen.
        return mode is ThinkMode.Split or ThinkMode.Merge
            ? stripper.State == ThinkTagStripperState.OpenThought
            : stripper.InThought;
    }

    private ThinkTagStripper Create() => new(_options.Tags, _options.StartsOpen, _options.Mode == ThinkMode.Merge);
}
