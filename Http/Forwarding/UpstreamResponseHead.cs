using System.Net.Http.Headers;

namespace CotProxy.Http.Forwarding;

/// <summary>
/// Reads an upstream response's head in one pass over each header collection: the end-to-end headers the client gets,
/// the Content-Type and Content-Length the proxy acts on, and whether the framing can be trusted. Every field is read
/// raw (<see cref="HttpHeaders.NonValidated"/>): a lookup or parse per field costs more than the one walk.
/// </summary>
internal static class UpstreamResponseHead
{
    /// <summary>
    /// Adds the response's end-to-end headers to <paramref name="destination"/> (RFC 9110 §7.6.1: hop-by-hop ones and
    /// those its Connection names are dropped; Content-Length is the proxy's to write) and returns what the proxy needs.
    /// </summary>
    public static UpstreamHead Read(HttpResponseMessage response, List<KeyValuePair<string, string>> destination)
    {
        var start = destination.Count;
        string? connection = null;
        var chunked = false;
        foreach (var header in response.Headers.NonValidated)
        {
            var name = header.Key;
            if (!HopByHop.IsHopByHop(name))
            {
                Add(name, header.Value, destination);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection = header.Value.ToString();
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = header.Value.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase);
            }
        }

        string? contentType = null;
        HeaderStringValues lengths = default;
        var hasLength = false;
        var encoded = false;
        foreach (var header in response.Content.Headers.NonValidated)
        {
            var name = header.Key;
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                lengths = header.Value;
                hasLength = true;
                continue;
            }

            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = header.Value.ToString();
            }
            else if (name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                encoded = true;
            }

            if (!HopByHop.IsHopByHop(name))
            {
                Add(name, header.Value, destination);
            }
        }

        // RFC 9110 §7.6.1: fields the Connection header names are hop-by-hop too ("keep-alive" and "close", all that servers
        // send in practice, name none, and then nothing is walked again).
        if (HopByHop.NamedFields(connection) is { } named)
        {
            for (var i = destination.Count - 1; i >= start; i--)
            {
                if (HopByHop.IsNamedByConnection(destination[i].Key, named))
                {
                    destination.RemoveAt(i);
                }
            }
        }

        if (!hasLength)
        {
            return new UpstreamHead(contentType, null, HasAmbiguousFraming: false, encoded);
        }

        // RFC 9112 §6.3: Content-Length with chunked is an error. SocketsHttpHandler accepts it and reads the body by one of
        // them; an intermediary that passed that on could be used for response smuggling, so the client gets a 502 instead.
        if (chunked)
        {
            return new UpstreamHead(contentType, null, HasAmbiguousFraming: true, encoded);
        }

        // The usual case: one Content-Length line holding one number (SocketsHttpHandler already framed the body by it).
        if (lengths.Count == 1)
        {
            var value = lengths.ToString();
            if (!value.Contains(','))
            {
                return new UpstreamHead(contentType, ParseLength(value), HasAmbiguousFraming: false, encoded);
            }
        }

        return DiffersInLength(lengths)
            ? new UpstreamHead(contentType, null, HasAmbiguousFraming: true, encoded)
            : new UpstreamHead(contentType, response.Content.Headers.ContentLength, HasAmbiguousFraming: false, encoded);
    }

    private static void Add(string name, HeaderStringValues values, List<KeyValuePair<string, string>> destination)
    {
        // One value, as nearly every field has: the string itself, without the enumerator.
        if (values.Count == 1)
        {
            destination.Add(new(name, values.ToString()));
            return;
        }

        foreach (var value in values)
        {
            destination.Add(new(name, value));
        }
    }

    // RFC 9110 §8.6: Content-Length = 1*DIGIT; anything else is no length, as HttpContentHeaders.ContentLength reads it.
    private static long? ParseLength(string value)
    {
        var digits = value.AsSpan().Trim(" \t");
        if (digits.IsEmpty)
        {
            return null;
        }

        long length = 0;
        foreach (var c in digits)
        {
            var d = c - '0';
            if ((uint)d > 9 || length > (long.MaxValue - d) / 10)
            {
                return null;
            }

            length = (length * 10) + d;
        }

        return length;
    }

    /// <summary>Every element of every Content-Length line must be the same number (RFC 9112 §6.3); compared as text, without copies.</summary>
    private static bool DiffersInLength(HeaderStringValues lengths)
    {
        string? first = null;
        Range firstRange = default;
        foreach (var value in lengths)
        {
            foreach (var range in value.AsSpan().Split(','))
            {
                var element = value.AsSpan()[range].Trim();
                if (first is null)
                {
                    first = value;
                    firstRange = range;
                }
                else if (!element.SequenceEqual(first.AsSpan()[firstRange].Trim()))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
