using System.Buffers;

namespace CotProxy.Http.Forwarding;

/// <summary>Rewrites one response body as it streams through: any slice in, what can be sent now out.</summary>
internal interface IBodyRewriter
{
    /// <summary>Feeds a slice of the upstream body (split anywhere) and appends what can be sent now.</summary>
    void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output);

    /// <summary>The upstream body ended cleanly: appends whatever was held back.</summary>
    void Complete(IBufferWriter<byte> output);

    /// <summary>While the upstream is quiet: appends something that keeps the client waiting and returns true, or returns false.</summary>
    bool TryWriteKeepAlive(IBufferWriter<byte> output);

    /// <summary>Whether <see cref="TryWriteKeepAlive"/> would write now; it cannot change while no bytes come.</summary>
    bool WantsKeepAlive { get; }

    /// <summary>The upstream has gone quiet (a wait for bytes will really wait): give back buffers that hold nothing.</summary>
    void ReleaseIdleBuffers();

    /// <summary>
    /// Set when the body could not be rewritten and must not reach the client as it is: for a whole body nothing was
    /// written, and the client gets a 502 saying this; a stream has already ended with the rewriter's own error.
    /// </summary>
    string? FailureReason { get; }
}
