namespace CotProxy.Http;

/// <summary>The head of one request as parsed off the wire; reused across the requests of a connection.</summary>
internal sealed class HttpRequest
{
    public string Method { get; set; } = "";

    /// <summary>The request target exactly as received (origin-form; absolute-form reduced to its path and query).</summary>
    public string Target { get; set; } = "";

    public bool IsHttp11 { get; set; }

    public List<KeyValuePair<string, string>> Headers { get; } = new(16);

    public string? Host { get; set; }

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
        foreach (var header in Headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    public void Reset()
    {
        Method = "";
        Target = "";
        IsHttp11 = false;
        Headers.Clear();
        Host = null;
        ContentLength = -1;
        IsChunked = false;
        KeepAlive = false;
        ConnectionClose = false;
        ExpectContinue = false;
    }
}
