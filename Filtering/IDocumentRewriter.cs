namespace CotProxy.Filtering;

/// <summary>
/// Rewrites the JSON documents of one response, one at a time, in the words of one generation API (see
/// <see cref="ResponseApi"/>): an SSE event's data, an NDJSON line or a whole body. <see cref="FramedDocumentRewriter"/>
/// cuts the body into documents and hands each one here; state that spans documents (a thought still open) lives here.
/// </summary>
internal interface IDocumentRewriter : IDisposable
{
    /// <summary>Documents sent as their own bytes without being decoded (the fast path), for the tests.</summary>
    long ProbePasses { get; }

    /// <summary>True while the response is inside thinking the client does not see (what keep-alive comments are for).</summary>
    bool InHiddenThought { get; }

    /// <summary>logprobs arrays removed whole because their tokens did not spell their text (see <see cref="IResponseRewriter.LogprobsDropped"/>).</summary>
    int LogprobsMismatches => 0;

    /// <summary>Characters of thinking removed or moved so far (see <see cref="IResponseRewriter.ThinkingChars"/>).</summary>
    long ThinkingChars { get; }

    /// <summary>
    /// In an SSE stream, the last Rewritten document is one or more whole events ("event:" and "data:" lines, each ended by an empty
    /// line), written in place of the upstream's event: an API that names its events by type (Anthropic's) may need to
    /// rename one or make several of it.
    /// </summary>
    bool WritesEvents => false;

    /// <summary>Rewrites <paramref name="json"/>; when the result is Rewritten the new document is in <paramref name="output"/>.</summary>
    JsonRewriteResult Rewrite(ReadOnlySpan<byte> json, PooledByteBuffer output);

    /// <summary>The upstream has gone quiet: give back buffers that hold no state (see <see cref="IResponseRewriter.ReleaseIdleBuffers"/>).</summary>
    void ReleaseIdleBuffers()
    {
    }

    /// <summary>
    /// The stream ended with text still held (a tag's possible start, an unclosed thought): writes one document releasing
    /// it, or returns false when nothing was held.
    /// </summary>
    bool TryWriteLeftovers(PooledByteBuffer output);
}
