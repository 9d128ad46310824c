using System.Runtime.InteropServices;
using System.Text;

namespace CotProxy.Http.Server;

/// <summary>The head of one request as parsed off the wire; reused across the requests of a connection.</summary>
internal sealed class HttpRequest
{
    private List<KeyValuePair<string, string>> _headers = new(16);

    // The fields of the previous request on this connection: a client repeats its fields request after request, in the
    // same order, so their strings are reused when the bytes match (Kestrel reuses header strings the same way).
    private List<KeyValuePair<string, string>> _previous = new(16);

    // Set once a whole head was parsed: only a whole head's fields are kept for the next request to compare with.
    private bool _headParsed;

    public string Method { get; set; } = "";

    /// <summary>The request target exactly as received (origin-form; absolute-form reduced to its path and query).</summary>
    public string Target { get; set; } = "";

    public bool IsHttp11 { get; set; }

    public List<KeyValuePair<string, string>> Headers => _headers;

    public string? Host { get; set; }

    /// <summary>The Content-Type field's value, if any.</summary>
    public string? ContentType { get; set; }

    /// <summary>Every Connection field's value, joined as one list (RFC 9110 §5.3), if any.</summary>
    public string? Connection { get; set; }

    /// <summary>-1 when the request declared no Content-Length.</summary>
    public long ContentLength { get; set; } = -1;

    public bool IsChunked { get; set; }

    public bool KeepAlive { get; set; }

    /// <summary>The client sent <c>Connection: close</c>.</summary>
    public bool ConnectionClose { get; set; }

    public bool ExpectContinue { get; set; }

    public bool HasBody => IsChunked || ContentLength > 0;

    public bool IsHead => Method == "HEAD";

    /// <summary>The path without the query string.</summary>
    public ReadOnlySpan<char> Path
    {
        get
        {
            var q = Target.IndexOf('?', StringComparison.Ordinal);
            return q < 0 ? Target.AsSpan() : Target.AsSpan(0, q);
        }
    }

    public string? GetHeader(string name)
    {
        foreach (var (key, value) in CollectionsMarshal.AsSpan(_headers))
        {
            if (key.Length == name.Length && string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The field the previous request on this connection had where the next field will be added, if it had one.</summary>
    public bool TryGetPreviousField(out string name, out string value)
    {
        var index = _headers.Count;
        if (index < _previous.Count)
        {
            (name, value) = _previous[index];
            return true;
        }

        name = value = "";
        return false;
    }

    /// <summary>Adds again the previous request's field that <see cref="TryGetPreviousField"/> gave, strings and all.</summary>
    public void AddPreviousField() => _headers.Add(_previous[_headers.Count]);

    /// <summary>
    /// Adds a field as received (name and value in Latin-1, RFC 9110 §5.5) and returns its value. Called for a line that
    /// is not the previous request's field at this place (<see cref="AddPreviousField"/> takes those), so only the name
    /// may be the same: its string is reused then.
    /// </summary>
    public string AddField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var index = _headers.Count;
        var fieldName = index < _previous.Count && _previous[index].Key is var previousName && Latin1Text.EqualsBytes(name, previousName)
            ? previousName
            : HeaderNames.Intern(name);
        var added = Encoding.Latin1.GetString(value);
        _headers.Add(new(fieldName, added));
        return added;
    }

    public void MarkHeadParsed() => _headParsed = true;

    /// <summary>The target of the previous request on this connection (empty before the first), for the parser to reuse.</summary>
    public string PreviousTarget { get; private set; } = "";

    public void Reset()
    {
        Method = "";
        if (Target.Length > 0)
        {
            PreviousTarget = Target;
        }

        Target = "";
        IsHttp11 = false;
        if (_headParsed)
        {
            (_previous, _headers) = (_headers, _previous);
            _headParsed = false;
        }

        _headers.Clear();
        Host = null;
        ContentType = null;
        Connection = null;
        ContentLength = -1;
        IsChunked = false;
        KeepAlive = false;
        ConnectionClose = false;
        ExpectContinue = false;
    }
}
