using System.Text.Json;

namespace CotProxy.Profiles;

/// <summary>OpenAI's content parts (<c>"content": [{"type":"text","text":"…"}, …]</c>): where a text part's string stands.</summary>
internal static class ContentParts
{
    /// <summary>
    /// Reads the array element the reader is on, leaving the reader on its last token. True for a <c>{"type":"text"}</c>
    /// object whose <c>text</c> is a string: [<paramref name="start"/>, <paramref name="end"/>) is that string token,
    /// quotes included, in the body (the reader's positions plus <paramref name="offset"/>).
    /// </summary>
    public static bool TryReadTextPart(ref Utf8JsonReader reader, int offset, out int start, out int end)
    {
        start = -1;
        end = -1;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }

        bool isText = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool type = reader.ValueTextEquals("type"u8);
            bool text = !type && reader.ValueTextEquals("text"u8);
            reader.Read();
            if (type)
            {
                isText = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("text"u8);
            }
            else if (text)
            {
                (start, end) = reader.TokenType == JsonTokenType.String
                    ? (offset + (int)reader.TokenStartIndex, offset + (int)reader.BytesConsumed)
                    : (-1, -1);
            }

            reader.Skip();
        }

        return isText && start >= 0;
    }
}
