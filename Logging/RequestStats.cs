namespace CotProxy.Logging;

/// <summary>
/// What one request contributes to the metrics, filled in as it runs and read once when it ends. One per connection,
/// reset for each of its requests (they run one after another), so a request allocates none.
/// </summary>
internal sealed class RequestStats
{
    /// <summary>How much of a response's end is kept to read its usage from (it comes last, or nearly).</summary>
    public const int TailBytes = 1024;

    // The last bytes of the response body, a ring: made on a connection's first generation response.
    private byte[]? _tail;
    private int _tailNext;
    private int _tailFilled;
    private byte[]? _ordered;

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

    /// <summary>Keeps the last <see cref="TailBytes"/> of the body so far: at most one copy of each read's bytes.</summary>
    public void AppendTail(ReadOnlySpan<byte> data)
    {
        var tail = _tail ??= new byte[TailBytes];
        if (data.Length >= TailBytes)
        {
            data[^TailBytes..].CopyTo(tail);
            _tailNext = 0;
            _tailFilled = TailBytes;
            return;
        }

        var first = Math.Min(data.Length, TailBytes - _tailNext);
        data[..first].CopyTo(tail.AsSpan(_tailNext));
        data[first..].CopyTo(tail);
        _tailNext = (_tailNext + data.Length) % TailBytes;
        _tailFilled = Math.Min(_tailFilled + data.Length, TailBytes);
    }

    /// <summary>The kept end of the body, in order: the ring itself until it wraps, then a copy put in order.</summary>
    public ReadOnlySpan<byte> Tail()
    {
        if (_tail is null || _tailFilled < TailBytes)
        {
            return _tail.AsSpan(0, _tailFilled);
        }

        var ordered = _ordered ??= new byte[TailBytes];
        var older = _tail.AsSpan(_tailNext);
        older.CopyTo(ordered);
        _tail.AsSpan(0, _tailNext).CopyTo(ordered.AsSpan(older.Length));
        return ordered;
    }

    public void Reset(long start)
    {
        Start = start;
        Route = MetricsRoute.Other;
        Stream = false;
        AnswerSeen = false;
        PromptTokens = -1;
        CompletionTokens = -1;
        _tailNext = 0;
        _tailFilled = 0;
    }
}
