using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>Rewrites one upstream response body incrementally; one instance per response.</summary>
internal interface IResponseRewriter : IDisposable
{
    /// <summary>Feeds any slice of the upstream body (splits anywhere, even inside a UTF-8 character) and appends what can be sent now.</summary>
    void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>The upstream body ended cleanly: releases held text and any trailing unterminated event.</summary>
    void Complete(IBufferWriter<byte> output);

    /// <summary>SSE only: while a hidden thought is in progress, appends ": thinking\n\n" and returns true. Called at an event boundary.</summary>
    bool TryWriteKeepAlive(IBufferWriter<byte> output);

    /// <summary>Whether <see cref="TryWriteKeepAlive"/> would write now; it cannot change while no bytes come.</summary>
    bool WantsKeepAlive { get; }

    /// <summary>
    /// The upstream has gone quiet: give back the buffers that hold nothing, so an idle stream holds none. Called only
    /// when a read will really wait, so a stream whose bytes are ready does not rent and return per read (one paced
    /// token by token does: each of its reads waits).
    /// </summary>
    void ReleaseIdleBuffers();

    /// <summary>
    /// Events (SSE events, NDJSON lines) dropped because the filter could not read them while inside
    /// or possibly inside a thought (failing closed); for the per-request log.
    /// </summary>
    int DroppedEvents { get; }

    /// <summary>
    /// Strip mode: logprobs arrays whose tokens did not spell the text they belong to, so all their entries were removed
    /// rather than risk keeping a hidden token's (failing closed); for the per-request log. Rewriters without logprobs keep 0.
    /// </summary>
    int LogprobsDropped => 0;

    /// <summary>
    /// Characters of thinking taken out of the answer so far (tags included) or out of reasoning fields: dropped in
    /// strip mode, moved to the reasoning field in split mode; for the metrics.
    /// </summary>
    long ThinkingChars { get; }

    /// <summary>
    /// Set when the response could not be filtered and was cut: a whole JSON body over the limit or
    /// unreadable in a filtering mode (nothing was written: answer 502 with this message), or a
    /// stream frame over the limit (the stream already ended with an error event carrying it).
    /// </summary>
    string? FailureReason { get; }
}
