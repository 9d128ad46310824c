using System.Buffers;
using System.Text.Json;

namespace CotProxy.Filtering;

/// <summary>
/// Strip mode's guard against a wrong or missing Content-Type: holds the first bytes of the body until they tell what it
/// is (an event stream, one JSON document, JSON lines, or text), then filters it as that. A thought must not pass for
/// want of a label; the label decides only when the bytes agree with it or cannot tell.
/// </summary>
internal sealed class SniffingResponseRewriter : DeferredResponseRewriter
{
    // How far an unlabelled body starting with '{' is read for its first line break, to tell JSON lines from one document.
    private const int MaxSniffBytes = 64 * 1024;

    private readonly ResponseFraming? _label;
    private readonly ResponseRewriteOptions _options;
    private readonly int _maxBufferedBytes;
    private readonly ResponseApi _api;
    private int _junkJudged;

    /// <param name="label">The framing the Content-Type claims; null when it claims none this proxy reads.</param>
    /// <param name="options">What the chosen rewriter does.</param>
    /// <param name="maxBufferedBytes">The chosen rewriter's limit on one event or document.</param>
    /// <param name="api">Which API's documents the body holds.</param>
    public SniffingResponseRewriter(ResponseFraming? label, ResponseRewriteOptions options, int maxBufferedBytes = ResponseRewriterFactory.DefaultMaxBufferedBytes, ResponseApi api = ResponseApi.Choices)
    {
        _api = api;
        _label = label;
        _options = options;
        _maxBufferedBytes = maxBufferedBytes;
    }

    /// <summary>The framing the bytes were recognised as, once they told; null before.</summary>
    public ResponseFraming? Framing { get; private set; }

    protected override void OnMoreHeld(IBufferWriter<byte> output)
    {
        if (Recognise(Held, final: false) is { } framing)
        {
            Start(framing, output);
        }
    }

    protected override void OnEndHeld(IBufferWriter<byte> output) => Start(Recognise(Held, final: true) ?? ResponseFraming.Text, output);

    /// <summary>What <paramref name="body"/> (the first bytes) holds; null while they cannot tell yet.</summary>
    private ResponseFraming? Recognise(ReadOnlySpan<byte> body, bool final)
    {
        var start = body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? body[3..] : body;
        start = start.TrimStart(" \t\r\n"u8);
        if (start.IsEmpty)
        {
            return final ? _label ?? ResponseFraming.Text : null;
        }

        if (start[0] is (byte)'{' or (byte)'[')
        {
            return _label is ResponseFraming.JsonBody or ResponseFraming.Ndjson ? _label : JsonOrLines(start, final);
        }

        switch (SseField(start))
        {
            case true:
                return ResponseFraming.EventStream;
            case null when !final:
                return null;
        }

        return AfterJunk(start, final);
    }

    /// <summary>
    /// A body whose first line is neither JSON nor an SSE field: a later line may still say what it is, since an event
    /// stream's parser skips lines it does not know (WHATWG HTML §9.2.6) and reasoning fields after such a line must not
    /// pass as text. The first later line that starts an SSE field or a JSON value decides; text (tags still found,
    /// whatever the label says) when none has by the end of the body or of the sniffing window.
    /// </summary>
    private ResponseFraming? AfterJunk(ReadOnlySpan<byte> start, bool final)
    {
        // Lines already judged junk are not read again when more bytes arrive.
        var rest = start[_junkJudged..];
        int newline;
        while ((newline = rest.IndexOf((byte)'\n')) >= 0)
        {
            rest = rest[(newline + 1)..];
            var json = rest.TrimStart(" \t\r"u8);
            if (json.IsEmpty)
            {
                break;
            }

            if (json[0] is (byte)'{' or (byte)'[')
            {
                return JsonOrLines(json, final);
            }

            switch (SseField(rest))
            {
                case true:
                    return ResponseFraming.EventStream;
                case null when !final:
                    return null;
            }

            _junkJudged = start.Length - rest.Length;
        }

        return final || start.Length >= MaxSniffBytes ? ResponseFraming.Text : null;
    }

    private void Start(ResponseFraming framing, IBufferWriter<byte> output)
    {
        Framing = framing;
        Hand(ResponseRewriterFactory.Create(framing, _options, _maxBufferedBytes, _api) ?? new RawTextResponseRewriter(_options), output);
    }

    /// <summary>
    /// An unlabelled body starting with a JSON value: JSON lines when its first line is one whole value, else one document.
    /// Null while the first line has not ended (and the body has not).
    /// </summary>
    private static ResponseFraming? JsonOrLines(ReadOnlySpan<byte> start, bool final)
    {
        var newline = start.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return final || start.Length >= MaxSniffBytes ? ResponseFraming.JsonBody : null;
        }

        var reader = new Utf8JsonReader(start[..newline], isFinalBlock: true, state: default);
        try
        {
            return reader.Read() && reader.TrySkip() && start[(int)reader.BytesConsumed..newline].TrimEnd(" \t\r"u8).IsEmpty
                ? ResponseFraming.Ndjson
                : ResponseFraming.JsonBody;
        }
        catch (JsonException)
        {
            return ResponseFraming.JsonBody;
        }
    }

    /// <summary>
    /// True when <paramref name="start"/> begins with an SSE line (WHATWG HTML §9.2.6: one of the fields data, event, id,
    /// retry, followed by ":" or the line's end, or, under an event-stream label, a comment ":"); null when it may still
    /// become one.
    /// </summary>
    private bool? SseField(ReadOnlySpan<byte> start)
    {
        if (start[0] == (byte)':')
        {
            // A comment says "event stream" only where the label says so too: any junk line may start with a colon, and
            // JSON lines after it would pass a stream filter as lines it leaves alone (found by fuzz/run ndjson).
            return _label == ResponseFraming.EventStream;
        }

        var undecided = false;
        if (IsField(start, "data"u8, ref undecided) || IsField(start, "event"u8, ref undecided)
            || IsField(start, "id"u8, ref undecided) || IsField(start, "retry"u8, ref undecided))
        {
            return true;
        }

        return undecided ? null : false;
    }

    private static bool IsField(ReadOnlySpan<byte> start, ReadOnlySpan<byte> name, ref bool undecided)
    {
        if (start.Length <= name.Length)
        {
            undecided |= name.StartsWith(start);
            return false;
        }

        return start.StartsWith(name) && start[name.Length] is (byte)':' or (byte)'\n' or (byte)'\r';
    }
}
