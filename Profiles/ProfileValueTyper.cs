using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Logging;

namespace CotProxy.Profiles;

/// <summary>
/// Turns an entry's value text into the JSON it will be sent as. Keys of the original's type table
/// must fit their type; any other key: <c>true</c>/<c>false</c> → boolean, <c>null</c> → null, a JSON
/// number → number (its text kept exactly), JSON → JSON, anything else → string.
/// </summary>
internal static class ProfileValueTyper
{
    /// <exception cref="FormatException">The value does not fit the key's type, or its JSON or escapes are malformed.</exception>
    public static JsonNode? Type(string key, string valueText, bool isJson, out string typeName)
    {
        if (isJson)
        {
            if (ProfileKeys.IsTyped(key))
            {
                throw new FormatException($"expects {Expected(key)}, got the JSON value {Quote(valueText)}");
            }

            JsonNode? json;
            try
            {
                json = JsonNode.Parse(valueText, documentOptions: JsonText.DocumentOptions);
            }
            catch (JsonException e)
            {
                throw new FormatException($"invalid JSON value {Quote(valueText)}: {ExceptionText.Describe(e)}", e);
            }

            typeName = json is JsonArray ? "array" : "object";
            return json;
        }

        string text = ValueEscapes.Decode(valueText);
        if (ProfileKeys.IsFloat(key))
        {
            if (!IsJsonNumber(text) || !double.IsFinite(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)))
            {
                throw new FormatException($"expects {Expected(key)}, got {Quote(text)}");
            }

            typeName = "number";
            return NumberNode(text);
        }

        if (ProfileKeys.IsInteger(key))
        {
            if (!IsJsonInteger(text) || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                throw new FormatException($"expects {Expected(key)}, got {Quote(text)}");
            }

            typeName = "number";
            return NumberNode(text);
        }

        if (key == ProfileKeys.Mirostat)
        {
            // "false" is how the original's table wrote it off; "true" does not say which of 1 and 2 is meant.
            typeName = "number";
            return text switch
            {
                "0" or "1" or "2" => NumberNode(text),
                _ when text.Equals("false", StringComparison.OrdinalIgnoreCase) => NumberNode("0"),
                _ => throw new FormatException($"expects {Expected(key)}, got {Quote(text)}"),
            };
        }

        if (ProfileKeys.IsBoolean(key))
        {
            // Case-insensitive: "True" is what a Python-minded user writes, and the key's type is known.
            if (!bool.TryParse(text, out bool flag) || text.Trim() != text)
            {
                throw new FormatException($"expects {Expected(key)}, got {Quote(text)}");
            }

            typeName = "boolean";
            return JsonValue.Create(flag);
        }

        switch (text)
        {
            case "true":
                typeName = "boolean";
                return JsonValue.Create(true);
            case "false":
                typeName = "boolean";
                return JsonValue.Create(false);
            case "null":
                typeName = "null";
                return null;
        }

        if (IsJsonNumber(text))
        {
            typeName = "number";
            return NumberNode(text);
        }

        typeName = "string";
        return JsonValue.Create(text);
    }

    /// <summary>What a typed key expects, for error messages.</summary>
    public static string Expected(string key) =>
        ProfileKeys.IsFloat(key) ? "a number (e.g. 0.7)"
        : ProfileKeys.IsInteger(key) ? "an integer (e.g. 40)"
        : ProfileKeys.IsBoolean(key) ? "true or false"
        : key == ProfileKeys.Mirostat ? "0, 1 or 2 (0 off, 1 Mirostat, 2 Mirostat 2.0; false is taken as 0)"
        : "a value";

    /// <summary>RFC 8259 §6 number grammar: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>. Rejects <c>+1</c>, <c>.5</c>, <c>01</c>, <c>1.</c>, <c>NaN</c>.</summary>
    public static bool IsJsonNumber(string text)
    {
        int i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        if (!SkipIntegerPart(text, ref i))
        {
            return false;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            if (!SkipDigits(text, ref i))
            {
                return false;
            }
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            if (!SkipDigits(text, ref i))
            {
                return false;
            }
        }

        return i == text.Length;
    }

    /// <summary>A JSON number without fraction or exponent.</summary>
    public static bool IsJsonInteger(string text)
    {
        int i = 0;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        return SkipIntegerPart(text, ref i) && i == text.Length;
    }

    private static bool SkipIntegerPart(string text, ref int i)
    {
        if (i >= text.Length || !char.IsAsciiDigit(text[i]))
        {
            return false;
        }

        if (text[i] == '0')
        {
            i++;
            return true;
        }

        return SkipDigits(text, ref i);
    }

    private static bool SkipDigits(string text, ref int i)
    {
        int start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i > start;
    }

    // Parsing the number's own text gives a node that writes that text back verbatim: 0.05 stays
    // 0.05 and 1e3 stays 1e3, where a double round-trip could print 0.05000000000000000277.
    private static JsonNode NumberNode(string text) => JsonNode.Parse(text)!;

    private static string Quote(string text) => "\"" + text + "\"";
}
