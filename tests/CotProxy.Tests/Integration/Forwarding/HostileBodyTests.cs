using System.Text;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>
/// JSON bodies no UTF-8 text can be: invalid UTF-8 bytes (RFC 8259 §8.1: JSON text is UTF-8) and <c>\u</c> escapes of
/// half a surrogate pair (RFC 8259 §8.2: grammatical, but not text). Where the proxy must read them as text, they are the
/// client's error: 400 saying what and where, never 500 and never forwarded silently changed.
/// </summary>
public sealed class HostileBodyTests
{
    private const string Profile = "model=m,temperature=0.5";

    private static byte[] Bytes(string before, byte[] bad, string after) =>
        [.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)];

    public static TheoryData<string?, string, string> LoneSurrogateModels() => new()
    {
        { null, """{"model":"\ud800","messages":[]}""", "\\ud800" },
        { null, """{"model":"a\uDC00b"}""", "\\uDC00" },
        { null, """{"model":"\ud83d\ud83d"}""", "\\ud83d" },
        { Profile, """{"messages":[],"model":"x\udfff"}""", "\\udfff" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogateModels))]
    public async Task ModelWithLoneSurrogateEscape_400NamingTheFieldAndEscape(string? llmParams, string body, string escape)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, llmParams);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", body);

        Assert.Equal(400, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains("'model'", message, StringComparison.Ordinal);
        Assert.Contains("lone surrogate", message, StringComparison.Ordinal);
        Assert.Contains(escape, message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Theory]
    [InlineData(null, new byte[] { 0xFF })]
    [InlineData(null, new byte[] { 0xC3 })]
    [InlineData(null, new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(Profile, new byte[] { 0xC0, 0xAF })]
    public async Task ModelWithInvalidUtf8_400NamingTheByte(string? llmParams, byte[] bad)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, llmParams);

        var response = await proxy.SendAsync("POST", "/v1/chat/completions", "Content-Type: application/json\r\n", Bytes("{\"model\":\"m", bad, "\"}"));

        Assert.Equal(400, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains("not valid UTF-8 at byte offset 11 (in model)", message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Profile)]
    public async Task InvalidUtf8InMessage_400NamingByteAndPath_NeverForwardedChanged(string? llmParams)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, llmParams);
        var body = Bytes("""{"model":"m","messages":[{"role":"user","content":"caf""", [0xE9], "\"}]}");

        var response = await proxy.SendAsync("POST", "/v1/chat/completions", "Content-Type: application/json\r\n", body);

        Assert.Equal(400, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains($"not valid UTF-8 at byte offset {Array.IndexOf(body, (byte)0xE9)} (in messages[0].content)", message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a\ud800b"}]}""", "\\ud800", " (in messages[0].content)")]
    [InlineData("""{"model":"m","x":{"\udc00":1}}""", "\\udc00", " (in a property name of x)")]
    [InlineData("""{"model":"m","stop":["ok","\uD834"]}""", "\\uD834", " (in stop[1])")]
    public async Task ProfiledModel_LoneSurrogateEscape_400NamingEscapeByteAndPath(string body, string escape, string path)
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, Profile);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", body);

        Assert.Equal(400, response.Status);
        var message = ResponseBytes.ErrorMessage(response);
        Assert.Contains($"lone surrogate escape {escape} at byte offset {body.IndexOf(escape, StringComparison.Ordinal)}{path}", message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.Count);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"a\ud800b"}]}""")]
    [InlineData("""{"model":"\ud83d\ude00","messages":[{"role":"user","content":"\udfff"}]}""")]
    [InlineData("""{"\uD83D\u0041":1,"model":"m"}""")]
    [InlineData("""{"mode\ud800l":1,"model":"m"}""")]
    public async Task UnprofiledModel_LoneSurrogateOutsideModel_ForwardedByteForByte(string body)
    {
        // The proxy does not rewrite this body, so it need not read those strings as text: the upstream gets the client's bytes.
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        await using var proxy = new ProxyFixture(server.BaseUrl, Profile);

        var sent = body.Replace("\"model\":\"m\"", "\"model\":\"other\"", StringComparison.Ordinal);

        var response = await proxy.PostJsonAsync("/v1/chat/completions", sent);

        Assert.Equal(200, response.Status);
        Assert.Equal(Encoding.UTF8.GetBytes(sent), (await upstream.NextAsync()).Body);
    }
}
