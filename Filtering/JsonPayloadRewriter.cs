using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Rewrites one JSON document (an SSE event's data, an NDJSON line or a whole body): filters the
/// answer fields of each choice, removes or keeps upstream-separated reasoning, renames the model.
/// In streaming mode the per-choice state carries over between documents.
/// </summary>
internal sealed class JsonPayloadRewriter : IDocumentRewriter
{
    private static readonly JsonWriterOptions s_writerOptions = JsonOutput.UncheckedOptions;

    private readonly JsonRewriteContext _context;
    private readonly RawDocumentProbe _probe;
    private readonly EventTemplate? _template;
    private readonly bool _fastPathOff;
    private Utf8JsonWriter? _writer;

    public JsonPayloadRewriter(ResponseRewriteOptions options, bool streaming)
    {
        _context = new JsonRewriteContext(options, streaming);
        _probe = options.Probe;
        _fastPathOff = options.FastPathOff;
        _template = streaming && !options.EventTemplatesOff && !_fastPathOff ? new EventTemplate() : null;
    }

    /// <summary>Documents the raw-byte probe let pass without decoding them (the fast path).</summary>
    public long ProbePasses { get; private set; }

    /// <summary>Of those, the documents decided by <see cref="EventTemplate"/> without the probe's walk.</summary>
    public long TemplatePasses { get; private set; }

    /// <summary>The template's array (0 when it holds none).</summary>
    public int TemplateCapacity => _template?.Capacity ?? 0;

    /// <summary>Choice lookups so far (one step each; see <see cref="JsonRewriteContext.ChoiceLookups"/>).</summary>
    public long ChoiceLookups => _context.ChoiceLookups;

    /// <summary>True while any unfinished choice is inside thinking the client does not see.</summary>
    public bool InHiddenThought => _context.InHiddenThought();

    /// <summary>Logprobs arrays dropped whole because their tokens did not spell their text (see <see cref="LogprobsWriter"/>).</summary>
    public int LogprobsMismatches => _context.LogprobsMismatches;

    /// <summary>Characters of thinking removed or moved so far (see <see cref="IResponseRewriter.ThinkingChars"/>).</summary>
    public long ThinkingChars => _context.ThinkingChars;

    /// <summary>Rewrites <paramref name="json"/>; when the result is Rewritten the new document is in <paramref name="output"/>.</summary>
    public JsonRewriteResult Rewrite(ReadOnlySpan<byte> json, PooledByteBuffer output)
    {
        JsonRewriteContext context = _context;
        EventTemplate? template = _template;
        ProbeVerdict verdict;
        int at;
        int length;
        int content;
        if (template is not null && template.TryMatch(json, out verdict, out at, out length, out content))
        {
            TemplatePasses++;
        }
        else if (_fastPathOff)
        {
            (verdict, at, length, content) = (ProbeVerdict.FullPath, 0, 0, -1);
        }
        else
        {
            verdict = _probe.Decide(json, context, out at, out length, out content);
            if (verdict == ProbeVerdict.FullPath)
            {
                // The full path may change the filter state the template's verdict was decided under.
                template?.Forget();
            }
            else
            {
                template?.Remember(json, _probe.TemplateStops(context), verdict, at, length, content);
            }
        }

        if (verdict != ProbeVerdict.FullPath)
        {
            ProbePasses++;
            return WriteProbed(verdict, json, at, length, content, output);
        }

        if (!context.Scanner.Scan(json))
        {
            // Not a JSON object this filter can read (a plain-text error, a truncated line, invalid
            // UTF-8, a lone surrogate, nesting too deep), and the probe could not tell it holds no
            // thinking: only a rewrite that renames the model lets it pass untouched.
            return context.Filters ? JsonRewriteResult.Unreadable : JsonRewriteResult.Unchanged;
        }

        context.BeginDocument();
        Utf8JsonWriter writer = StartWriting(output);
        var reader = new Utf8JsonReader(json);
        reader.Read();
        JsonRootWriter.Write(ref reader, writer, context);
        writer.Flush();
        if (!context.Changed)
        {
            return JsonRewriteResult.Unchanged;
        }

        return context.Streaming && context.Removed && !context.Payload && !context.Visible
            ? JsonRewriteResult.Dropped
            : JsonRewriteResult.Rewritten;
    }

    /// <summary>
    /// Stream ended without a finish_reason: completes every unfinished choice and writes one JSON
    /// document carrying the released text. Returns false when nothing was held.
    /// </summary>
    public bool TryWriteLeftovers(PooledByteBuffer output)
    {
        _template?.Forget();
        Utf8JsonWriter writer = StartWriting(output);
        bool any = LeftoverDocumentWriter.TryWrite(writer, _context);
        writer.Flush();
        return any;
    }

    /// <summary>Idle: the template's array and the context's empty buffers go back to the pool.</summary>
    public void ReleaseIdleBuffers()
    {
        _template?.Release();
        _context.ReleaseIdleBuffers();
    }

    /// <summary>Array capacity the context's buffers hold (see <see cref="FramedDocumentRewriter.BufferCapacity"/>).</summary>
    internal int ContextCapacity => _context.BufferCapacity;

    public void Dispose()
    {
        _template?.Dispose();
        _writer?.Dispose();
        _context.Dispose();
    }

    /// <summary>The fast path's output: the document's own bytes, spliced where the probe said.</summary>
    private JsonRewriteResult WriteProbed(ProbeVerdict verdict, ReadOnlySpan<byte> json, int at, int length, int content, PooledByteBuffer output)
    {
        if (verdict == ProbeVerdict.DropThought)
        {
            _context.CountThinking(DroppedThought(json, content));
        }
        else if (verdict is ProbeVerdict.MoveThought or ProbeVerdict.MoveOllamaThought)
        {
            _context.CountThinking(JsonRewriteContext.CharCount(json.Slice(at + 1, length - 2)));
        }

        if (verdict == ProbeVerdict.DropThought || length == 0)
        {
            return verdict == ProbeVerdict.DropThought ? JsonRewriteResult.Dropped : JsonRewriteResult.Unchanged;
        }

        output.Clear();
        output.Append(json[..at]);
        if (verdict == ProbeVerdict.Pass)
        {
            output.Append(_probe.QuotedModel);
            output.Append(json[(at + length)..]);
        }
        else
        {
            // "content":"thought"} → "content":"","<reasoning field>":"thought"}
            output.Append("\"\",\""u8);
            output.Append(_probe.MoveField(verdict));
            output.Append("\":"u8);
            output.Append(json[at..]);
        }

        return JsonRewriteResult.Rewritten;
    }

    /// <summary>
    /// The characters of the one "content" string (its opening quote at <paramref name="content"/>) of a document the
    /// probe found wholly thought: it holds no escaped quote (the probe sends every such document down the full path), so
    /// the next quote ends it.
    /// </summary>
    private static long DroppedThought(ReadOnlySpan<byte> json, int content)
    {
        int close = content < 0 ? -1 : json[(content + 1)..].IndexOf((byte)'"');
        return close < 0 ? 0 : JsonRewriteContext.CharCount(json.Slice(content + 1, close));
    }

    private Utf8JsonWriter StartWriting(PooledByteBuffer output)
    {
        output.Clear();
        Utf8JsonWriter writer = _writer ??= new Utf8JsonWriter(output, s_writerOptions);
        writer.Reset(output);
        return writer;
    }
}
