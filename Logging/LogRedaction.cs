using System.Buffers;
using System.Text;

namespace CotProxy.Logging;

/// <summary>
/// Masks credentials in what is printed, by the one rule of <see cref="SecretNames"/>: a request target's query
/// parameters, URLs' user-info, header values and JSON body fields. Every log line that shows a target, a URL, a header
/// or a body goes through here.
/// </summary>
internal static class LogRedaction
{
    public const string Mask = "***";

    private static readonly byte[] s_maskedJsonValue = "\"***\""u8.ToArray();
    private static readonly SearchValues<char> s_authorityEnd = SearchValues.Create("/?# ,;\n\"'");
    private static readonly SearchValues<char> s_parameterSeparators = SearchValues.Create("&;");

    /// <summary>
    /// A request target (or any URL) fit to print: the values of query parameters whose names are secret become ***
    /// (names percent-decoded before they are judged), and so does the user-info of an absolute URL. The same string
    /// when there is nothing to mask, so the access line of a target without a query allocates nothing.
    /// </summary>
    public static string Target(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var shown = target.Length > 0 && target[0] != '/' ? UrlUserInfo(target) : target;
        if (query < 0)
        {
            return shown;
        }

        query = shown.IndexOf('?', StringComparison.Ordinal);
        return MaskedParameters(shown.AsSpan(query + 1)) is { } masked ? string.Concat(shown.AsSpan(0, query + 1), masked) : shown;
    }

    /// <summary>A URL fit to print: user-info and secret query values masked (<see cref="Target"/>).</summary>
    public static string Url(Uri url) => Target(url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString);

    /// <summary>Replaces the user-info of every "scheme://user-info@" in the text with ***.</summary>
    public static string UrlUserInfo(string text)
    {
        var searchFrom = 0;
        var builder = (StringBuilder?)null;
        var copiedUpTo = 0;
        while (true)
        {
            var schemeEnd = text.IndexOf("://", searchFrom, StringComparison.Ordinal);
            if (schemeEnd < 0)
            {
                break;
            }

            var authorityStart = schemeEnd + 3;
            var authorityLength = text.AsSpan(authorityStart).IndexOfAny(s_authorityEnd);
            var authorityEnd = authorityLength < 0 ? text.Length : authorityStart + authorityLength;
            var at = authorityEnd > authorityStart ? text.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
            if (at >= authorityStart)
            {
                builder ??= new StringBuilder(text.Length);
                builder.Append(text, copiedUpTo, authorityStart - copiedUpTo).Append(Mask);
                copiedUpTo = at;
            }

            searchFrom = authorityStart;
        }

        return builder is null ? text : builder.Append(text, copiedUpTo, text.Length - copiedUpTo).ToString();
    }

    /// <summary>A header value fit to print: masked whole when the name is secret (no scheme word, no first part kept).</summary>
    public static string Header(string name, string value, int maxChars) =>
        SecretNames.IsSecret(name) ? Mask : Log.SafeText(value, maxChars);

    /// <summary>
    /// "name=value" pairs separated by '&amp;' or ';' (a query string, a form body): the values of secret names become ***.
    /// A name counts as written and as percent-decoded ('+' as space), so api%5Fkey is api_key.
    /// </summary>
    public static string Parameters(ReadOnlySpan<char> text) => MaskedParameters(text) ?? text.ToString();

    /// <summary>The masked parameters, or null when no name is secret.</summary>
    private static string? MaskedParameters(ReadOnlySpan<char> text)
    {
        StringBuilder? builder = null;
        var copiedUpTo = 0;
        var start = 0;
        while (start < text.Length)
        {
            var length = text[start..].IndexOfAny(s_parameterSeparators);
            var end = length < 0 ? text.Length : start + length;
            var item = text[start..end];
            var equals = item.IndexOf('=');
            if (equals >= 0 && IsSecretParameterName(item[..equals]))
            {
                builder ??= new StringBuilder(text.Length);
                builder.Append(text[copiedUpTo..(start + equals + 1)]).Append(Mask);
                copiedUpTo = end;
            }

            start = end + 1;
        }

        return builder?.Append(text[copiedUpTo..]).ToString();
    }

    /// <summary>
    /// A request body's logged prefix as text, with the values of secret-named fields masked at any depth. The prefix
    /// may be cut anywhere (mid-name, mid-value, mid-escape), so it is scanned for names, not parsed as JSON: a string
    /// (or a bare word, as JSON5 allows) followed by ':' is a name; when it is secret, its whole value (string, number,
    /// object or array, cut or not) becomes "***". A string value whose text is JSON itself (a tool call's arguments) is
    /// masked the same way. A body that is not a JSON object or array is read as "name=value" pairs instead
    /// (<see cref="Parameters"/>).
    /// </summary>
    public static string Body(ReadOnlySpan<byte> body)
    {
        var first = body.IndexOfAnyExcept(" \t\r\n"u8);
        if (first >= 0 && body[first] != (byte)'{' && body[first] != (byte)'[')
        {
            return Parameters(Encoding.UTF8.GetString(body));
        }

        var output = new ArrayBufferWriter<byte>(body.Length + 16);
        var copiedUpTo = 0;
        var i = 0;
        while (i < body.Length)
        {
            var b = body[i];
            int nameEnd;
            bool secret;
            var closed = false;
            if (b == (byte)'"')
            {
                nameEnd = StringEnd(body, i, out closed);
                secret = closed && IsNameFollowedByColon(body, nameEnd) && SecretNames.IsSecret(JsonName(body[(i + 1)..(nameEnd - 1)]));
            }
            else if (IsBareNameByte(b))
            {
                nameEnd = i + 1;
                while (nameEnd < body.Length && IsBareNameByte(body[nameEnd]))
                {
                    nameEnd++;
                }

                secret = IsNameFollowedByColon(body, nameEnd) && SecretNames.IsSecret(Encoding.UTF8.GetString(body[i..nameEnd]));
            }
            else
            {
                i++;
                continue;
            }

            if (!secret)
            {
                // A string value may itself hold JSON, as a tool call's "arguments" does: its fields are masked too.
                if (b == (byte)'"' && MaskedInnerJson(body[(i + 1)..(closed ? nameEnd - 1 : nameEnd)], closed) is { } masked)
                {
                    output.Write(body[copiedUpTo..i]);
                    output.Write(masked);
                    copiedUpTo = nameEnd;
                }

                i = nameEnd;
                continue;
            }

            var colon = body[nameEnd..].IndexOf((byte)':') + nameEnd;
            var valueStart = SkipWhitespace(body, colon + 1);
            output.Write(body[copiedUpTo..valueStart]);
            if (valueStart < body.Length)
            {
                output.Write(s_maskedJsonValue);
            }

            i = copiedUpTo = ValueEnd(body, valueStart);
        }

        output.Write(body[copiedUpTo..]);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>
    /// A JSON string's content (perhaps cut) whose text is JSON holding a secret field: the string again, quoted, with
    /// that field masked; null when there is nothing to mask. Only a string with an escaped quote can hold a JSON name,
    /// so any other costs one search.
    /// </summary>
    private static byte[]? MaskedInnerJson(ReadOnlySpan<byte> content, bool closed)
    {
        if (content.IndexOf("\\\""u8) < 0)
        {
            return null;
        }

        var inner = JsonName(content);
        var first = inner.AsSpan().IndexOfAnyExcept(" \t\r\n");
        if (first < 0 || inner[first] is not ('{' or '['))
        {
            return null;
        }

        var masked = Body(Encoding.UTF8.GetBytes(inner));
        if (masked == inner)
        {
            return null;
        }

        var text = new StringBuilder(masked.Length + 16).Append('"');
        foreach (var c in masked)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                < ' ' => text.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }

        return Encoding.UTF8.GetBytes((closed ? text.Append('"') : text).ToString());
    }

    private static bool IsSecretParameterName(ReadOnlySpan<char> name)
    {
        var text = name.ToString();
        if (SecretNames.IsSecret(text))
        {
            return true;
        }

        // Decoded again while it changes, so a name encoded twice (api%255Fkey) is judged too.
        for (var round = 0; round < 3 && (text.Contains('%', StringComparison.Ordinal) || text.Contains('+', StringComparison.Ordinal)); round++)
        {
            var decoded = Uri.UnescapeDataString(text.Replace('+', ' '));
            if (decoded == text)
            {
                break;
            }

            text = decoded;
            if (SecretNames.IsSecret(text))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsBareNameByte(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-' or (byte)'$';

    private static int SkipWhitespace(ReadOnlySpan<byte> body, int i)
    {
        while (i < body.Length && body[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }

    private static bool IsNameFollowedByColon(ReadOnlySpan<byte> body, int end)
    {
        var next = SkipWhitespace(body, end);
        return next < body.Length && body[next] == (byte)':';
    }

    /// <summary>The index after the string that starts at <paramref name="quote"/>: past its closing quote, or the end when it was cut.</summary>
    private static int StringEnd(ReadOnlySpan<byte> body, int quote) => StringEnd(body, quote, out _);

    private static int StringEnd(ReadOnlySpan<byte> body, int quote, out bool closed)
    {
        closed = false;
        var i = quote + 1;
        while (i < body.Length)
        {
            var b = body[i];
            if (b == (byte)'\\')
            {
                i += 2;
                continue;
            }

            i++;
            if (b == (byte)'"')
            {
                closed = true;
                return i;
            }
        }

        return body.Length;
    }

    /// <summary>The index after the value that starts at <paramref name="start"/>; the end of the text when it was cut.</summary>
    private static int ValueEnd(ReadOnlySpan<byte> body, int start)
    {
        if (start >= body.Length)
        {
            return body.Length;
        }

        if (body[start] == (byte)'"')
        {
            return Math.Min(StringEnd(body, start), body.Length);
        }

        var depth = 0;
        var i = start;
        while (i < body.Length)
        {
            var b = body[i];
            if (b == (byte)'"')
            {
                i = StringEnd(body, i);
                continue;
            }

            if (b is (byte)'{' or (byte)'[')
            {
                depth++;
            }
            else if (b is (byte)'}' or (byte)']')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
            else if (depth == 0 && b is (byte)',' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                return i;
            }

            i++;
            if (depth == 0 && (body[i - 1] is (byte)'}' or (byte)']'))
            {
                return i;
            }
        }

        return body.Length;
    }

    /// <summary>A JSON string's content with its escapes resolved (api\u005fkey is api_key); a cut escape is kept as written.</summary>
    private static string JsonName(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }

        var text = new StringBuilder(raw.Length);
        var i = 0;
        while (i < raw.Length)
        {
            var run = raw[i..].IndexOf((byte)'\\');
            var plainEnd = run < 0 ? raw.Length : i + run;
            text.Append(Encoding.UTF8.GetString(raw[i..plainEnd]));
            i = plainEnd;
            if (i >= raw.Length)
            {
                break;
            }

            if (i + 1 >= raw.Length)
            {
                text.Append('\\');
                break;
            }

            var escape = raw[i + 1];
            if (escape == (byte)'u' && i + 6 <= raw.Length
                && ushort.TryParse(Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var code))
            {
                text.Append((char)code);
                i += 6;
                continue;
            }

            text.Append(escape switch
            {
                (byte)'n' => '\n',
                (byte)'t' => '\t',
                (byte)'r' => '\r',
                (byte)'b' => '\b',
                (byte)'f' => '\f',
                _ => (char)escape,
            });
            i += 2;
        }

        return text.ToString();
    }
}
