using System.Buffers;

namespace CotProxy.Filtering;

/// <summary>
/// The last stream document <see cref="RawDocumentProbe"/> decided without the full path, kept as its bytes before and
/// after its one content string's value. Real servers repeat every byte of an event but that value (id, created, model,
/// index, a null finish_reason), so the next document made of the same bytes around a plain value gets the same verdict
/// without the probe's walk over its names: two vectorised comparisons and one search of the value.
/// </summary>
/// <remarks>
/// Sound because the probe's verdict on a document <c>prefix + value + suffix</c> is the same for every value
/// <see cref="RawDocumentProbe.IsTemplateValue"/> accepts (see there), under the same filter state; and a verdict other
/// than the full path leaves that state as it is. So the template holds from the document it was taken from until the
/// full path runs again (<see cref="Forget"/>): the owner forgets it before every full-path rewrite and at the end.
/// </remarks>
internal sealed class EventTemplate : IDisposable
{
    /// <summary>Larger documents are left to the probe (this also keeps the probe's starts-open length rule out of reach).</summary>
    internal const int MaxBytes = 4096;

    /// <summary>After this many templates in a row that the next document did not match, this response stops taking them.</summary>
    private const int MaxMisses = 8;

    private readonly PooledByteBuffer _bytes = new(0);
    private SearchValues<byte>? _plain;
    private ProbeVerdict _verdict;
    private int _prefix;
    private int _modelAt;
    private int _modelLength;
    private bool _modelInSuffix;
    private int _misses;

    /// <summary>The array held (0 once released): counted in the rewriter's idle capacity.</summary>
    public int Capacity => _bytes.Capacity;

    /// <summary>
    /// True when <paramref name="json"/> is the remembered document with another plain content value: the verdict, the
    /// splice range as <see cref="RawDocumentProbe.Decide(ReadOnlySpan{byte}, JsonRewriteContext, out int, out int, out int)"/> gives it, and where the content value's opening quote is.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<byte> json, out ProbeVerdict verdict, out int at, out int length, out int content)
    {
        verdict = ProbeVerdict.FullPath;
        at = 0;
        length = 0;
        content = _prefix - 1;
        if (_plain is null)
        {
            return false;
        }

        ReadOnlySpan<byte> template = _bytes.WrittenSpan;
        int suffix = template.Length - _prefix;
        if (json.Length <= template.Length || json.Length > MaxBytes
            || !json[.._prefix].SequenceEqual(template[.._prefix]) || !json[^suffix..].SequenceEqual(template[^suffix..])
            || !RawDocumentProbe.IsTemplateValue(json[_prefix..^suffix], _plain, _verdict))
        {
            _plain = null;
            _misses++;
            return false;
        }

        _misses = 0;
        verdict = _verdict;
        if (verdict is ProbeVerdict.MoveThought or ProbeVerdict.MoveOllamaThought)
        {
            at = content;
            length = json.Length - template.Length + 2;
        }
        else if (_modelLength > 0)
        {
            at = _modelInSuffix ? json.Length - _modelAt : _modelAt;
            length = _modelLength;
        }

        return true;
    }

    /// <summary>
    /// Takes <paramref name="json"/>, just decided by the probe as <paramref name="verdict"/> (not the full path) with the
    /// splice range <paramref name="at"/>/<paramref name="length"/>, as the template, when its content value at
    /// <paramref name="content"/> (the opening quote) is one the template may stand for.
    /// </summary>
    public void Remember(ReadOnlySpan<byte> json, SearchValues<byte> plain, ProbeVerdict verdict, int at, int length, int content)
    {
        _plain = null;
        if (_misses >= MaxMisses || json.Length > MaxBytes || content < 0)
        {
            return;
        }

        int close = json[(content + 1)..].IndexOf((byte)'"');
        if (close < 0 || !RawDocumentProbe.IsTemplateValue(json.Slice(content + 1, close), plain, verdict))
        {
            return;
        }

        int suffix = content + 1 + close;
        _bytes.Clear();
        _bytes.Append(json[..(content + 1)]);
        _bytes.Append(json[suffix..]);
        _prefix = content + 1;
        _verdict = verdict;
        _modelLength = verdict == ProbeVerdict.Pass ? length : 0;
        _modelInSuffix = at > content;
        _modelAt = _modelInSuffix ? json.Length - at : at;
        _plain = plain;
    }

    /// <summary>The filter state may change (the full path runs, the stream ends): the template no longer holds.</summary>
    public void Forget() => _plain = null;

    /// <summary>Idle: gives the array back; the next document is decided by the probe again.</summary>
    public void Release()
    {
        _plain = null;
        _bytes.Clear();
        _bytes.ReleaseIfEmpty();
    }

    public void Dispose() => _bytes.Dispose();
}
