namespace CotProxy.Http.Server;

/// <summary>The media type of a Content-Type value, read off the raw text without parsing it into objects.</summary>
internal static class MediaType
{
    /// <summary>The part before any parameters, trimmed (RFC 9110 §8.3.1: type "/" subtype *( OWS ";" OWS parameter )).</summary>
    public static ReadOnlySpan<char> Of(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return default;
        }

        var value = contentType.AsSpan();
        var semicolon = value.IndexOf(';');
        return (semicolon >= 0 ? value[..semicolon] : value).Trim();
    }

    /// <summary>True when the media type is <paramref name="mediaType"/>; RFC 9110 §8.3.1: type and subtype are case-insensitive.</summary>
    public static bool Is(string? contentType, string mediaType) =>
        contentType is not null && contentType.Length >= mediaType.Length // the media type is part of the value: no shorter value holds it
        && Of(contentType).Equals(mediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>application/json, or any application/*+json (RFC 6838 §4.2.8: the +json suffix means JSON too).</summary>
    public static bool IsJson(string? contentType) => IsJson(Of(contentType));

    public static bool IsJson(ReadOnlySpan<char> mediaType) =>
        mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
