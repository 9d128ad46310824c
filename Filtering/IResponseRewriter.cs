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
}
