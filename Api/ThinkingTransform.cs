using System.Buffers;
using CotProxy.Filtering;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// One response's rewrite (the thinking filter, the model name put back) as the forwarder sees it: picks the filter's
/// rewriter by the upstream's Content-Type and hands it the body. One per filtered request.
/// </summary>
internal sealed class ThinkingTransform : ResponseTransform, IBodyRewriter, IDisposable
{
    private readonly ResponseRewriteOptions _options;
    private readonly HttpRequest _request;
    private readonly int _maxBufferedBytes;
    private IResponseRewriter? _rewriter;

    /// <param name="options">What the filter does to this response.</param>
    /// <param name="request">The client's request, named in log lines.</param>
    /// <param name="maxBufferedBytes">MAX_FILTERED_BODY_MB: the largest body, event or line the filter holds.</param>
    public ThinkingTransform(ResponseRewriteOptions options, HttpRequest request, int maxBufferedBytes)
    {
        _options = options;
        _request = request;
        _maxBufferedBytes = maxBufferedBytes;
    }

    public override IBodyRewriter? BeginBody(string? contentType, out bool wholeBody)
    {
        var framing = ContentTypeFraming.Of(contentType);
        wholeBody = framing == ResponseFraming.JsonBody;
        if (_options.Mode == ThinkMode.Strip && ContentTypeFraming.MayHoldText(contentType))
        {
            // Strip mode trusts the bytes over the label: a mislabelled or unlabelled body is filtered as what it holds.
            _rewriter = new SniffingResponseRewriter(framing, _options, _maxBufferedBytes);
            return this;
        }

        _rewriter = framing is { } known ? ResponseRewriterFactory.Create(known, _options, _maxBufferedBytes) : null;
        return _rewriter is null ? null : this;
    }

    public override void EndBody()
    {
        if (_rewriter is { DroppedEvents: > 0 } rewriter)
        {
            // Failing closed is silent to the client by design; the log says it happened, and how often.
            Log.Warn($"{_request.Method} {Log.Target(_request.Target)}: {rewriter.DroppedEvents} unreadable event(s) dropped inside a thought (the filter fails closed)");
        }

        _rewriter?.Dispose();
        _rewriter = null;
    }

    /// <summary>The forwarder ends every body it began; this is for a transform that never reached the forwarder.</summary>
    public void Dispose() => EndBody();

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output) => _rewriter!.Write(input, output);

    public void Complete(IBufferWriter<byte> output) => _rewriter!.Complete(output);

    public bool TryWriteKeepAlive(IBufferWriter<byte> output) => _rewriter!.TryWriteKeepAlive(output);

    public void ReleaseIdleBuffers() => _rewriter?.ReleaseIdleBuffers();

    public string? FailureReason => _rewriter?.FailureReason;
}
