using System.Globalization;
using System.Text;

namespace CotProxy.Profiles;

/// <summary>One <c>LLM_PARAMS</c> profile: what to change in a request for one model name, and its thinking-filter settings.</summary>
internal sealed class ModelProfile
{
    public const string DefaultName = "default";
    public const string AnyName = "*";

    private RewritePaths? _paths;

    public ModelProfile(
        string name,
        IReadOnlyList<ProfileEntry> entries,
        string? upstreamModelName = null,
        string? appendToLastUserMessage = null,
        bool? enableThinkTagFiltering = null,
        string? thinkTagStart = null,
        string? thinkTagEnd = null,
        string? thinkMode = null,
        bool? thinkStartsOpen = null,
        string? reasoningField = null,
        string? thinkTags = null,
        bool? thinkTagsAnywhere = null,
        bool? allowModeHeader = null)
    {
        Name = name;
        Entries = entries;
        UpstreamModelName = upstreamModelName;
        AppendToLastUserMessage = appendToLastUserMessage;
        EnableThinkTagFiltering = enableThinkTagFiltering;
        ThinkTagStart = thinkTagStart;
        ThinkTagEnd = thinkTagEnd;
        ThinkMode = thinkMode;
        ThinkStartsOpen = thinkStartsOpen;
        ReasoningField = reasoningField;
        ThinkTags = thinkTags;
        ThinkTagsAnywhere = thinkTagsAnywhere;
        AllowModeHeader = allowModeHeader;
    }

    /// <summary>The model name a client asks for (<c>default</c> and <c>*</c> included).</summary>
    public string Name { get; }

    /// <summary>The overrides, defaults and removals, in the order written.</summary>
    public IReadOnlyList<ProfileEntry> Entries { get; }

    public string? UpstreamModelName { get; }

    /// <summary>Escapes decoded: <c>\n\n/no_think</c> is two newlines and the switch.</summary>
    public string? AppendToLastUserMessage { get; }

    public bool? EnableThinkTagFiltering { get; }

    /// <summary>Escapes decoded (<c>\u003cthink\u003e</c> → <c>&lt;think&gt;</c>).</summary>
    public string? ThinkTagStart { get; }

    public string? ThinkTagEnd { get; }

    /// <summary><c>strip</c>, <c>split</c> or <c>keep</c>.</summary>
    public string? ThinkMode { get; }

    public bool? ThinkStartsOpen { get; }

    public string? ReasoningField { get; }

    /// <summary><c>thinking=off|on|low|medium|high</c>: the thinking switch, unless the request sets its own.</summary>
    public ThinkingSwitch? Thinking { get; init; }

    /// <summary><c>server_kind=…</c>: how the switch is spelled for this model, instead of the kind detected.</summary>
    public ServerKind? ServerKind { get; init; }

    /// <summary><c>strip_history_thinking</c>: null follows the filter (on when filtering is on).</summary>
    public bool? StripHistoryThinking { get; init; }

    /// <summary><c>keep_tool_call_reasoning=true</c>: earlier assistant turns with tool calls keep their reasoning.</summary>
    public bool? KeepToolCallReasoning { get; init; }

    /// <summary>What a request for a model without a profile is rewritten with: nothing of its own.</summary>
    public static ModelProfile None { get; } = new("(no profile)", []);

    /// <summary>
    /// The upstreams a config file's profile names (<c>upstream: local</c> or a list), in the order written; empty =
    /// the one upstream there is. LLM_PARAMS has no upstreams to name.
    /// </summary>
    public IReadOnlyList<string> Upstreams { get; init; } = [];

    /// <summary>The name holds <c>*</c> or <c>?</c>: a pattern for model names (<c>qwen3-*</c>), not one model.</summary>
    public bool IsGlob => Name.AsSpan().IndexOfAny('*', '?') >= 0;
    /// <summary><c>auto</c> or a built-in tag family's name (checked when the profile is parsed).</summary>
    public string? ThinkTags { get; }

    /// <summary>A start tag counts anywhere in the answer, not only where it begins.</summary>
    public bool? ThinkTagsAnywhere { get; }

    /// <summary>A client may choose this model's thinking mode per request with <c>X-Reasoning-Mode</c> (off unless true).</summary>
    public bool? AllowModeHeader { get; }

    /// <summary>
    /// Whether a request for this profile has anything to change (overrides, defaults, removals, the
    /// upstream name, the suffix). When false the proxy forwards the body byte for byte.
    /// </summary>
    public bool RewritesRequest => Entries.Count > 0 || UpstreamModelName is not null || AppendToLastUserMessage is not null;

    /// <summary>The paths the request rewrite looks at, built on first use (a race only builds the same tree twice).</summary>
    internal RewritePaths Paths => _paths ??= RewritePaths.Build(this);

    /// <summary>A pseudo-model is listed in <c>/v1/models</c>: every profile but <c>default</c>, <c>*</c> and other patterns.</summary>
    public bool IsPseudoModel => Name is not DefaultName && !IsGlob;

    /// <summary>
    /// One line for the start-up log, values typed and credential-like keys masked, e.g.
    /// <c>Qwen3-Clean → upstream qwen3:14b; temperature=0.7 (number), top_k?=20 (number, default), !seed, append "\n\n/no_think"</c>.
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>();
        foreach (ProfileEntry entry in Entries)
        {
            parts.Add(entry.Describe());
        }

        if (AppendToLastUserMessage is not null)
        {
            parts.Add("append " + Display(AppendToLastUserMessage));
        }

        if (EnableThinkTagFiltering is bool filtering)
        {
            parts.Add("think filtering " + (filtering ? "on" : "off"));
        }

        if (ThinkTagStart is not null)
        {
            parts.Add("think_tag_start " + Display(ThinkTagStart));
        }

        if (ThinkTagEnd is not null)
        {
            parts.Add("think_tag_end " + Display(ThinkTagEnd));
        }

        if (ThinkMode is not null)
        {
            parts.Add("think_mode " + ThinkMode);
        }

        if (ThinkStartsOpen is bool startsOpen)
        {
            parts.Add("think_starts_open " + (startsOpen ? "true" : "false"));
        }

        if (ReasoningField is not null)
        {
            parts.Add("reasoning_field " + Display(ReasoningField));
        }

        if (Upstreams.Count > 0)
        {
            parts.Add("via " + string.Join(" or ", Upstreams));
        }

        if (Thinking is { } thinking)
        {
            parts.Add("thinking " + ThinkingNames.Name(thinking));
        }

        if (ServerKind is { } kind)
        {
            parts.Add("server_kind " + ThinkingNames.Name(kind));
        }

        if (StripHistoryThinking is bool stripHistory)
        {
            parts.Add("strip_history_thinking " + (stripHistory ? "true" : "false"));
        }

        if (KeepToolCallReasoning is bool keepToolCall)
        {
            parts.Add("keep_tool_call_reasoning " + (keepToolCall ? "true" : "false"));
        }

        if (ThinkTags is not null)
        {
            parts.Add("think_tags " + ThinkTags);
        }

        if (ThinkTagsAnywhere is bool anywhere)
        {
            parts.Add("think_tags_anywhere " + (anywhere ? "true" : "false"));
        }

        if (AllowModeHeader is bool allow)
        {
            parts.Add("allow_mode_header " + (allow ? "true" : "false"));
        }

        string head = UpstreamModelName is null ? Name : $"{Name} → upstream {UpstreamModelName}";
        return parts.Count == 0 ? head + "; no changes" : head + "; " + string.Join(", ", parts);
    }

    /// <summary>A string quoted with the same escapes LLM_PARAMS accepts, so the log shows invisible characters.</summary>
    internal static string Display(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '"':
                    builder.Append(@"\u0022");
                    break;
                default:
                    if (char.IsControl(c))
                    {
                        builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}
