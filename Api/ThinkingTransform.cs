using System.Buffers;
using CotProxy.Filtering;
using CotProxy.Http.Forwarding;

namespace CotProxy.Api;

/// <summary>
/// One response's rewrite (the thinking filter, the model name put back) as the forwarder sees it: picks the filter's
/// rewriter by the upstream's Content-Type and hands it the body. One per filtered request.
/// </summary>
internal sealed class ThinkingTransform : ResponseTransform, IBodyRewriter, IDisposable
{
    private readonly ResponseRewriteOptions _options;
    private IResponseRewriter? _rewriter;

    public ThinkingTransform(ResponseRewriteOptions options)
    {
        _options = options;
    }

    public override IBodyRewriter? BeginBody(string? contentType, out bool wholeBody)
    {
        var framing = ContentTypeFraming.Of(contentType);
        wholeBody = framing == ResponseFraming.JsonBody;
        if (_options.Mode == ThinkMode.Strip && ContentTypeFraming.MayHoldText(contentType))
        {
            // Strip mode trusts the bytes over the label: a mislabelled or unlabelled body is filtered as what it holds.
            _rewriter = new SniffingResponseRewriter(framing, _options);
            return this;
        }

        _rewriter = framing is { } known ? ResponseRewriterFactory.Create(known, _options) : null;
        return _rewriter is null ? null : this;
    }

    public override void EndBody()
    {
        _rewriter?.Dispose();
        _rewriter = null;
    }

    /// <summary>The forwarder ends every body it began; this is for a transform that never reached the forwarder.</summary>
    public void Dispose() => EndBody();

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output) => _rewriter!.Write(input, output);

    public void Complete(IBufferWriter<byte> output) => _rewriter!.Complete(output);

    public bool TryWriteKeepAlive(IBufferWriter<byte> output) => _rewriter!.TryWriteKeepAlive(output);
}
