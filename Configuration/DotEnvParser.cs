using System.Text;

namespace CotProxy.Configuration;

/// <summary>
/// Reads a <c>.env</c> file the way docker compose's <c>env_file</c> does for the files the seed's
/// users write: <c>KEY=VALUE</c> lines, <c>#</c> comments, blank lines, an optional
/// <c>export </c> prefix, single-quoted literal values, double-quoted values with escapes, and
/// quoted values spanning lines. Unquoted values are trimmed and lose an inline <c> #comment</c>.
/// No <c>${VAR}</c> interpolation: a <c>$</c> is kept as written. A later line for the same key
/// wins. Errors name the file and the line and never echo a value (it may be a secret).
/// </summary>
internal static class DotEnvParser
{
    public static bool TryParse(string text, string fileName, out IReadOnlyDictionary<string, string> values, out string error) =>
        TryParse(text, fileName, out values, out _, out error);

    /// <summary>As <see cref="TryParse(string, string, out IReadOnlyDictionary{string, string}, out string)"/>, with the line of each key's last assignment.</summary>
    public static bool TryParse(string text, string fileName, out IReadOnlyDictionary<string, string> values, out IReadOnlyDictionary<string, int> lines, out string error)
    {
        var keyLines = new Dictionary<string, int>(StringComparer.Ordinal);
        lines = keyLines;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        values = result;
        error = "";
        int pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        int line = 1;
        while (pos < text.Length)
        {
            SkipBlanks(text, ref pos);
            if (pos >= text.Length)
            {
                break;
            }

            char c = text[pos];
            if (c == '\n' || c == '#')
            {
                SkipToNextLine(text, ref pos, ref line);
                continue;
            }

            if (c == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n')
            {
                pos++;
                continue;
            }

            int keyLine = line;
            if (text.AsSpan(pos).StartsWith("export", StringComparison.Ordinal)
                && pos + 6 < text.Length && (text[pos + 6] == ' ' || text[pos + 6] == '\t'))
            {
                pos += 6;
                SkipBlanks(text, ref pos);
            }

            int keyStart = pos;
            while (pos < text.Length && IsKeyChar(text[pos], pos == keyStart))
            {
                pos++;
            }

            if (pos == keyStart)
            {
                error = $"{fileName} line {keyLine}: expected KEY=VALUE with KEY made of letters, digits and '_' (not starting with a digit)";
                return false;
            }

            if (pos < text.Length && text[pos] is not ('=' or ' ' or '\t' or '\r' or '\n'))
            {
                int badEnd = text.AsSpan(pos).IndexOfAny("= \t\r\n");
                string badKey = text[keyStart..(badEnd < 0 ? text.Length : pos + badEnd)];
                error = $"{fileName} line {keyLine}: key {CommandLineArguments.Quote(badKey)} may contain only letters, digits and '_'";
                return false;
            }

            string key = text[keyStart..pos];
            SkipBlanks(text, ref pos);
            if (pos >= text.Length || text[pos] != '=')
            {
                error = $"{fileName} line {keyLine}: expected '=' after {key}";
                return false;
            }

            pos++;
            int beforeValue = pos;
            SkipBlanks(text, ref pos);
            bool blankBeforeValue = pos > beforeValue;
            string value;
            if (pos < text.Length && (text[pos] == '\'' || text[pos] == '"'))
            {
                if (!TryReadQuoted(text, ref pos, ref line, out value))
                {
                    error = $"{fileName} line {keyLine}: {key}: the {(text[pos] == '"' ? "double" : "single")} quote opened here is never closed";
                    return false;
                }

                SkipBlanks(text, ref pos);
                if (pos < text.Length && text[pos] != '\n' && text[pos] != '#' && !IsCrLf(text, pos))
                {
                    error = $"{fileName} line {line}: {key}: unexpected text after the closing quote (quote the whole value or use a # comment)";
                    return false;
                }
            }
            else
            {
                value = ReadUnquoted(text, ref pos, blankBeforeValue);
            }

            result[key] = value;
            keyLines[key] = keyLine;
            SkipToNextLine(text, ref pos, ref line);
        }

        return true;
    }

    private static bool IsKeyChar(char c, bool first) =>
        char.IsAsciiLetter(c) || c == '_' || (!first && char.IsAsciiDigit(c));

    private static bool IsCrLf(string text, int pos) =>
        text[pos] == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n';

    private static void SkipBlanks(string text, ref int pos)
    {
        while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t'))
        {
            pos++;
        }
    }

    private static void SkipToNextLine(string text, ref int pos, ref int line)
    {
        int newline = text.IndexOf('\n', pos);
        if (newline < 0)
        {
            pos = text.Length;
            return;
        }

        pos = newline + 1;
        line++;
    }

    /// <summary>
    /// Reads up to the end of the line; a '#' that follows a blank starts a comment (compose's
    /// rule: "a=b#c" keeps "b#c", "a=b #c" gives "b"); the result is trimmed.
    /// </summary>
    private static string ReadUnquoted(string text, ref int pos, bool blankBeforeValue)
    {
        int start = pos;
        int end = pos;
        while (end < text.Length && text[end] != '\n')
        {
            if (text[end] == '#' && (end == start ? blankBeforeValue : (text[end - 1] == ' ' || text[end - 1] == '\t')))
            {
                break;
            }

            end++;
        }

        pos = end;
        return text[start..end].Trim(' ', '\t', '\r');
    }

    /// <summary>
    /// Reads a quoted value starting at the opening quote and leaves <paramref name="pos"/> after
    /// the closing one. Single quotes are literal. Double quotes decode \n \r \t \" \\ \$ and keep
    /// any other backslash pair as written, so LLM_PARAMS' "\u003cthink\u003e" reaches its own
    /// decoder intact. Line breaks inside quotes belong to the value (CRLF becomes LF).
    /// </summary>
    private static bool TryReadQuoted(string text, ref int pos, ref int line, out string value)
    {
        char quote = text[pos];
        int i = pos + 1;
        int linesInside = 0;
        var builder = new StringBuilder();
        while (i < text.Length)
        {
            char c = text[i];
            if (c == quote)
            {
                pos = i + 1;
                line += linesInside;
                value = builder.ToString();
                return true;
            }

            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
                continue;
            }

            if (c == '\n')
            {
                linesInside++;
            }

            if (c == '\\' && quote == '"' && i + 1 < text.Length)
            {
                char next = text[i + 1];
                char? decoded = next switch
                {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    '"' => '"',
                    '\\' => '\\',
                    '$' => '$',
                    _ => null,
                };
                if (decoded is char d)
                {
                    builder.Append(d);
                    i += 2;
                    continue;
                }
            }

            builder.Append(c);
            i++;
        }

        value = "";
        return false;
    }
}
