using System.Net.Http.Headers;

namespace CotProxy.Http.Forwarding;

/// <summary>Reads an upstream response's head: the end-to-end headers the client gets, and whether its framing can be trusted.</summary>
internal static class UpstreamResponseHead
{
    /// <summary>The raw Content-Type value: parsing it into a MediaTypeHeaderValue costs more than the one look at it needs.</summary>
    public static string? ContentType(HttpResponseMessage response) =>
        response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var values) ? values.ToString() : null;

    /// <summary>The response's end-to-end headers (RFC 9110 §7.6.1: hop-by-hop ones and those its Connection names are dropped).</summary>
    public static void Copy(HttpResponseMessage source, List<KeyValuePair<string, string>> destination)
    {
        // The raw Connection value: parsing it into a header value collection costs more than the one split it needs.
        var connection = HopByHop.NamedFields(source.Headers.NonValidated.TryGetValues("Connection", out var values) ? values.ToString() : null);
        Copy(source.Headers, connection, destination);
        Copy(source.Content.Headers, connection, destination);
    }

    private static void Copy(HttpHeaders source, string? connection, List<KeyValuePair<string, string>> destination)
    {
        foreach (var header in source.NonValidated)
        {
            if (HopByHop.IsHopByHop(header.Key)
                || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || HopByHop.IsNamedByConnection(header.Key, connection))
            {
                continue;
            }

            foreach (var value in header.Value)
            {
                destination.Add(new(header.Key, value));
            }
        }
    }

    /// <summary>
    /// True when the response's framing cannot be trusted: Content-Length with chunked, or differing lengths. SocketsHttpHandler
    /// accepts both and reads the body by one of them; an intermediary that passed that on could be used for response
    /// smuggling (RFC 9112 §6.3: such a message is an error), so the client gets a 502 instead.
    /// </summary>
    public static bool HasAmbiguousFraming(HttpResponseMessage response)
    {
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var lengths))
        {
            return false;
        }

        // Read raw: parsing Transfer-Encoding into header objects costs more than this one look needs.
        if (response.Headers.NonValidated.TryGetValues("Transfer-Encoding", out var codings)
            && codings.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // The usual case: one Content-Length line holding one number.
        if (lengths.Count == 1 && !lengths.ToString().Contains(','))
        {
            return false;
        }

        // Every element of every Content-Length line must be the same number (RFC 9112 §6.3); compared as text, without copies.
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
