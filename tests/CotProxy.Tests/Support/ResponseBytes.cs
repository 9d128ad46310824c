using System.Text;
using System.Text.Json;

namespace CotProxy.Tests.Support;

/// <summary><see cref="RawResponse"/> keeps the body as Latin-1 text (one char per byte); these turn it back into bytes, UTF-8 text or JSON.</summary>
internal static class ResponseBytes
{
    public static byte[] Body(RawResponse response) => Encoding.Latin1.GetBytes(response.Body);

    public static string Utf8(RawResponse response) => Encoding.UTF8.GetString(Body(response));

    public static JsonElement Json(RawResponse response)
    {
        using var document = JsonDocument.Parse(Body(response));
        return document.RootElement.Clone();
    }

    /// <summary>Asserts the OpenAI error shape <c>{"error":{"message":…,"type":…,"code":…}}</c> and returns the message.</summary>
    public static string ErrorMessage(RawResponse response)
    {
        Assert.Equal("application/json", response.Header("Content-Type"));
        var error = Json(response).GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("code", out _));
        return error.GetProperty("message").GetString()!;
    }
}
