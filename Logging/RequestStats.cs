namespace CotProxy.Logging;

/// <summary>
/// What one request contributes to the metrics, filled in as it runs and read once when it ends. One per connection,
/// reset for each of its requests (they run one after another), so a request allocates none.
/// </summary>
internal sealed class RequestStats
{
    /// <summary>The longest usage field name looked for, and its digits: what a read boundary can split.</summary>
    public const int CarryBytes = 48;

    private readonly byte[] _carry = new byte[CarryBytes];

    /// <summary>When the request's first byte arrived (<see cref="System.Diagnostics.Stopwatch"/> ticks), as the access log counts.</summary>
    public long Start { get; set; }

    public MetricsRoute Route { get; set; }

    /// <summary>The response was a stream (text/event-stream or NDJSON).</summary>
    public bool Stream { get; set; }

    /// <summary>The first answer byte after hidden thinking was seen (first_answer_token_seconds observed).</summary>
    public bool AnswerSeen { get; set; }

    /// <summary>The last usage numbers the response carried; -1 while none was seen.</summary>
    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    /// <summary>The end of the previous read of the response body, for a usage field split across reads.</summary>
    public Span<byte> Carry => _carry;

    public int CarryLength { get; set; }

    public void Reset(long start)
    {
        Start = start;
        Route = MetricsRoute.Other;
        Stream = false;
        AnswerSeen = false;
        PromptTokens = -1;
        CompletionTokens = -1;
        CarryLength = 0;
    }
}
