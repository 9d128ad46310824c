using System.Text;

namespace CotProxy.Filtering;

/// <summary>How responses of one model profile are rewritten; built once at start-up, immutable.</summary>
internal sealed class ResponseRewriteOptions
{
    /// <summary>The tags and field used when neither a profile nor a setting names others.</summary>
    public const string DefaultStartTag = "<think>";
    public const string DefaultEndTag = "</think>";
    public const string DefaultReasoningField = "reasoning_content";

    /// <summary><c>reasoning_field=both</c>: split thinking goes into reasoning_content and into reasoning (vLLM's newer name).</summary>
    public const string BothReasoningFields = "both";

    private readonly string _startTag = DefaultStartTag;
    private readonly string _endTag = DefaultEndTag;

    public ThinkMode Mode { get; init; } = ThinkMode.Strip;

    /// <summary>Start tag, already escape-decoded (never empty).</summary>
    public string StartTag
    {
        get => _startTag;
        init
        {
            ArgumentException.ThrowIfNullOrEmpty(value);
            _startTag = value;
            StartTagUtf8 = Encoding.UTF8.GetBytes(value);
            CustomTags = true;
        }
    }

    /// <summary>End tag, already escape-decoded (never empty).</summary>
    public string EndTag
    {
        get => _endTag;
        init
        {
            ArgumentException.ThrowIfNullOrEmpty(value);
            _endTag = value;
            EndTagUtf8 = Encoding.UTF8.GetBytes(value);
            CustomTags = true;
        }
    }

    /// <summary>
    /// <c>think_tags</c>: <c>auto</c> (null means the same) or a built-in family's name (see <see cref="ThinkTagFamily"/>).
    /// Ignored when <see cref="StartTag"/> or <see cref="EndTag"/> was set: those make a custom pair.
    /// </summary>
    public string? ThinkTags
    {
        get;
        init
        {
            // Checked here so a bad name fails where the options are built, not on the first response.
            _ = ThinkTagSet.Resolve(value, null, null, anywhere: false);
            field = value;
        }
    }

    /// <summary><c>think_tags_anywhere</c>: a start tag counts wherever it stands, not only where the answer begins.</summary>
    public bool TagsAnywhere { get; init; }

    /// <summary>The tags filtered by, built once from <see cref="ThinkTags"/>, the custom pair and <see cref="TagsAnywhere"/>.</summary>
    public ThinkTagSet Tags => field ??= CustomTags
        ? ThinkTagSet.Resolve(null, _startTag, _endTag, TagsAnywhere)
        : ThinkTagSet.Resolve(ThinkTags, null, null, TagsAnywhere);

    /// <summary>The chat template opened the block in the prompt: all text before the first end tag is thinking.</summary>
    public bool StartsOpen { get; init; }

    /// <summary>Split mode: the field of the same delta/message that receives the thinking.</summary>
    public string ReasoningField
    {
        get;
        init
        {
            ArgumentException.ThrowIfNullOrEmpty(value);
            field = value;
            bool both = value == BothReasoningFields;
            ReasoningFieldUtf8 = Encoding.UTF8.GetBytes(both ? DefaultReasoningField : value);
            SecondReasoningFieldUtf8 = both ? "reasoning"u8.ToArray() : null;
        }
    } = DefaultReasoningField;

    /// <summary>When set, the top-level "model" of every JSON event or body is rewritten to this name.</summary>
    public string? ClientModelName
    {
        get;
        init
        {
            field = value;
            ClientModelNameUtf8 = value is null ? null : Encoding.UTF8.GetBytes(value);
        }
    }

    internal byte[] StartTagUtf8 { get; private init; } = "<think>"u8.ToArray();

    internal byte[] EndTagUtf8 { get; private init; } = "</think>"u8.ToArray();

    internal byte[] ReasoningFieldUtf8 { get; private init; } = "reasoning_content"u8.ToArray();

    /// <summary><c>reasoning_field=both</c>: the second field the same thinking is written to ("reasoning"); else null.</summary>
    internal byte[]? SecondReasoningFieldUtf8 { get; private init; }

    internal byte[]? ClientModelNameUtf8 { get; private init; }

    private bool CustomTags { get; init; }

    /// <summary>
    /// Merge mode: the start tag reasoning is written inline with, whatever marked it upstream (the server's reasoning
    /// field, or any tag family): always &lt;think&gt;, the spelling issue 15 names and the one Open WebUI folds away,
    /// so a client reads one spelling from every model (ThinkTagStripper writes the same for tagged thought).
    /// </summary>
    internal static ReadOnlySpan<byte> MergeStartUtf8 => "<think>"u8;

    /// <summary>Merge mode: the end tag written after merged reasoning (see <see cref="MergeStartUtf8"/>).</summary>
    internal static ReadOnlySpan<byte> MergeEndUtf8 => "</think>"u8;

    /// <summary>The fast path's raw-byte probe for these options, built once and shared by every response (it is immutable).</summary>
    internal RawDocumentProbe Probe => field ??= new RawDocumentProbe(this);

    /// <summary>Off only in the tests that check the template's verdicts against the probe's (see <see cref="EventTemplate"/>).</summary>
    internal bool EventTemplatesOff { get; init; }

    /// <summary>Off only in the tests that check the fast path's output against the full path's.</summary>
    internal bool FastPathOff { get; init; }

    /// <summary>True when the options would change no response at all.</summary>
    internal bool IsNoOp => Mode == ThinkMode.Keep && ClientModelName is null;

    internal bool FiltersThinking => Mode != ThinkMode.Keep;
}
