using System.Globalization;
using System.Text;

namespace CotProxy.Tests.Support;

/// <summary>A response as read off the wire.</summary>
internal sealed class RawResponse
{
    public int Status { get; private set; }

    public string StatusLine { get; private set; } = "";

    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public string Body { get; set; } = "";

    public string? RawChunkedBody { get; set; }

    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> HeaderValues(string name) => Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public static RawResponse ParseHead(string head)
    {
        var lines = head.Split("\r\n");
        var response = new RawResponse { StatusLine = lines[0], Status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture) };
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            response.Headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        return response;
    }

    public static string DecodeChunked(string raw)
    {
        var body = new StringBuilder();
        var pos = 0;
        while (true)
        {
            var lineEnd = raw.IndexOf("\r\n", pos, StringComparison.Ordinal);
            var size = int.Parse(raw.AsSpan(pos, lineEnd - pos), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(raw, lineEnd + 2, size);
            pos = lineEnd + 2 + size + 2;
        }
    }
}
