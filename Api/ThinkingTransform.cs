using System.Buffers;
using CotProxy.Filtering;
using CotProxy.Http.Forwarding;
using CotProxy.Http.Server;
using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary>
/// One response's rewrite (the thinking filter, the model name put back) as the forwarder sees it: picks the filter's
/// rewriter by the upstream's Content-Type and hands it the body. One per filtered request. It also reports what the
/// filter did to the metrics: heartbeats, dropped events, thinking characters, the first answer byte, the usage.
/// </summary>
internal sealed class ThinkingTransform : ResponseTransform, IBodyRewriter, IDisposable
{
    // Keep, nothing renamed: what a stored response whose model's profile changes nothing gets (it passes untouched).
    private static readonly ResponseRewriteOptions s_untouched = new() { Mode = ThinkMode.Keep };

    private ResponseRewriteOptions _options;
    private readonly Func<string?, ResponseRewriteOptions?>? _optionsForModel;
    private string? _contentType;
    private readonly HttpContext _context;
    private readonly int _maxBufferedBytes;
    private readonly ProxyMetrics? _metrics;
    private readonly ResponseApi _api;
    private IResponseRewriter? _rewriter;

    /// <param name="options">What the filter does to this response.</param>
    /// <param name="context">The client's request, named in log lines, and its metrics.</param>
    /// <param name="maxBufferedBytes">MAX_FILTERED_BODY_MB: the largest body, event or line the filter holds.</param>
    /// <param name="metrics">Where the filter's numbers go, if anywhere.</param>
    /// <param name="api">Which generation API the response answers (from the request's path).</param>
    public ThinkingTransform(ResponseRewriteOptions options, HttpContext context, int maxBufferedBytes, ProxyMetrics? metrics = null, ResponseApi api = ResponseApi.Choices)
    {
        _api = api;
        _options = options;
        _context = context;
        _maxBufferedBytes = maxBufferedBytes;
        _metrics = metrics;
    }

    /// <summary>
    /// A stored Responses API response (<c>GET /v1/responses/{id}</c>): filtered with the options of the model the response
    /// names, once read (<paramref name="optionsForModel"/>, given null when none can be read); <paramref name="strictest"/>
    /// until then and for a body that is neither JSON nor an event stream.
    /// </summary>
    public ThinkingTransform(Func<string?, ResponseRewriteOptions?> optionsForModel, ResponseRewriteOptions strictest, HttpContext context, int maxBufferedBytes, ProxyMetrics? metrics = null)
        : this(strictest, context, maxBufferedBytes, metrics, ResponseApi.Responses)
    {
        _optionsForModel = optionsForModel;
    }

    public override IBodyRewriter? BeginBody(string? contentType, out bool wholeBody)
    {
        var framing = ContentTypeFraming.Of(contentType);
        wholeBody = framing == ResponseFraming.JsonBody;
        if (_optionsForModel is not null && framing is ResponseFraming.JsonBody or ResponseFraming.EventStream)
        {
            _contentType = contentType;
            _rewriter = new StoredResponseRewriter(framing == ResponseFraming.EventStream, StartForModel);
            return this;
        }

        _rewriter = Choose(contentType);
        return _rewriter is null ? null : this;
    }

    /// <summary>A stored response's model was read (or none could be): its options decide, and the rewriter they choose takes the body.</summary>
    private IResponseRewriter? StartForModel(string? model)
    {
        _options = _optionsForModel!(model) ?? s_untouched;
        if (Log.DebugEnabled)
        {
            var request = _context.Request;
            var named = model is null ? "names no model we could read: the strictest filter applies" : $"names model={Log.SafeText(model, 100)}";
            Log.Debug($"{request.Method} {Log.Target(request.Target)}: the stored response {named} (thinking {_options.Mode.ToString().ToLowerInvariant()})", _context.RequestId);
        }

        return Choose(_contentType);
    }

    /// <summary>The rewriter for a body labelled <paramref name="contentType"/> under the options chosen; null: untouched.</summary>
    private IResponseRewriter? Choose(string? contentType)
    {
        var framing = ContentTypeFraming.Of(contentType);
        if (_options.Mode == ThinkMode.Strip && ContentTypeFraming.MayHoldText(contentType))
        {
            // Strip mode trusts the bytes over the label: a mislabelled or unlabelled body is filtered as what it holds.
            return new SniffingResponseRewriter(framing, _options, _maxBufferedBytes, _api);
        }

        return framing is { } known ? ResponseRewriterFactory.Create(known, _options, _maxBufferedBytes, _api) : null;
    }

    public override void EndBody()
    {
        if (_rewriter is { } rewriter)
        {
            if (rewriter.DroppedEvents > 0)
            {
                // Failing closed is silent to the client by design; the log says it happened, and how often.
                var request = _context.Request;
                Log.Warn($"{request.Method} {Log.Target(request.Target)}: {rewriter.DroppedEvents} unreadable event(s) dropped inside a thought (the filter fails closed)", _context.RequestId);
                _metrics?.FilterEventsDropped(rewriter.DroppedEvents);
            }

            if (rewriter.LogprobsDropped > 0)
            {
                var request = _context.Request;
                Log.Warn($"{request.Method} {Log.Target(request.Target)}: {rewriter.LogprobsDropped} logprobs array(s) removed whole: their tokens did not spell the text they belong to (the filter fails closed)", _context.RequestId);
            }

            _metrics?.ThinkingChars(_options.Mode == ThinkMode.Split, rewriter.ThinkingChars);
        }

        _rewriter?.Dispose();
        _rewriter = null;
    }

    /// <summary>The forwarder ends every body it began; this is for a transform that never reached the forwarder.</summary>
    public void Dispose() => EndBody();

    public void Write(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_context.Stats is { } stats)
        {
            UsageScanner.Append(stats, input);
        }

        var before = output is PooledByteBuffer buffer ? buffer.Length : 0;
        _rewriter!.Write(input, output);
        NoteAnswer(output, before);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        var before = output is PooledByteBuffer buffer ? buffer.Length : 0;
        _rewriter!.Complete(output);
        NoteAnswer(output, before);
    }

    public bool WantsKeepAlive => _rewriter!.WantsKeepAlive;

    public bool TryWriteKeepAlive(IBufferWriter<byte> output)
    {
        if (!_rewriter!.TryWriteKeepAlive(output))
        {
            return false;
        }

        _metrics?.HeartbeatSent();
        return true;
    }

    public void ReleaseIdleBuffers() => _rewriter?.ReleaseIdleBuffers();

    public string? FailureReason => _rewriter?.FailureReason;

    /// <summary>
    /// first_answer_token_seconds: the first time the filter's output carries answer text, measured from the request's
    /// first byte, once per request: a non-empty "content", "text" or Ollama "response" string, or, from the Responses API,
    /// the "delta" of a response.output_text.delta event (its reasoning deltas are "delta"s too, so the type decides). The
    /// thought never reaches these in strip mode, and goes to the reasoning field, item or block in split mode.
    /// </summary>
    private void NoteAnswer(IBufferWriter<byte> output, int before)
    {
        if (_metrics is null || _context.Stats is not { AnswerSeen: false } stats || !_options.FiltersThinking || output is not PooledByteBuffer buffer)
        {
            return;
        }

        var written = buffer.WrittenSpan[before..];
        if (HasText(written, "\"content\""u8) || HasText(written, "\"text\""u8) || HasText(written, "\"response\""u8)
            || (_api == ResponseApi.Responses && HasOutputTextDelta(written)))
        {
            stats.AnswerSeen = true;
            _metrics.FirstAnswer.ObserveSince(stats.Start);
        }
    }

    /// <summary>Some response.output_text.delta event in <paramref name="written"/> (one per line) has a non-empty delta.</summary>
    private static bool HasOutputTextDelta(ReadOnlySpan<byte> written)
    {
        int found;
        while ((found = written.IndexOf("\"response.output_text.delta\""u8)) >= 0)
        {
            // The event's data is one line: look for its delta from the start of that line to its end.
            var lineStart = written[..found].LastIndexOf((byte)'\n') + 1;
            var rest = written[lineStart..];
            var lineEnd = rest.IndexOf((byte)'\n');
            if (HasText(lineEnd < 0 ? rest : rest[..lineEnd], "\"delta\""u8))
            {
                return true;
            }

            written = written[(found + 1)..];
        }

        return false;
    }

    /// <summary>Some <paramref name="name"/> in <paramref name="json"/> is followed by a non-empty string value.</summary>
    private static bool HasText(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name)
    {
        int found;
        while ((found = json.IndexOf(name)) >= 0)
        {
            json = json[(found + name.Length)..];
            var value = json.TrimStart(" \t\r\n"u8);
            if (value.Length > 0 && value[0] == (byte)':')
            {
                value = value[1..].TrimStart(" \t\r\n"u8);
                if (value.Length > 1 && value[0] == (byte)'"' && value[1] != (byte)'"')
                {
                    return true;
                }
            }
        }

        return false;
    }
}
