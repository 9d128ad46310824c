using System.Text;
using CotProxy.Tests.Support;
using CotProxy.Logging;

namespace CotProxy.Tests.Integration.Forwarding;

/// <summary>DEBUG=true: headers, bodies and profile changes are logged; credentials never are.</summary>
[Collection(LogCollection.Name)]
public sealed class DebugLogTests
{
    [Fact]
    public async Task DebugOn_ProfileRequest_LogsChangesAndRedactsCredentials()
    {
        var sink = new MemoryStream();
        Log.Configure(sink, debug: true);
        try
        {
            var upstream = new RecordingHandler();
            await using var server = new TestServer(upstream);
            await using var proxy = new ProxyFixture(server.BaseUrl, "model=Clean,upstream_model_name=real-model,temperature=0.7");

            await proxy.SendAsync("POST", "/v1/chat/completions",
                "Content-Type: application/json\r\nAuthorization: Bearer sk-secret-key-123\r\nX-Api-Key: another-secret\r\n",
                Encoding.UTF8.GetBytes("""{"model":"Clean","messages":[{"role":"user","content":"hi"}]}"""));
            await upstream.NextAsync();
            Log.Flush();
            await Task.Delay(100);
            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        var text = Encoding.UTF8.GetString(sink.ToArray());
        Assert.Contains("request POST /v1/chat/completions headers:", text, StringComparison.Ordinal);
        Assert.Contains("Authorization=***;", text, StringComparison.Ordinal);
        Assert.Contains("X-Api-Key=***;", text, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"hi\"", text, StringComparison.Ordinal);
        Assert.Contains("profile 'Clean' applied to model=Clean:", text, StringComparison.Ordinal);
        Assert.Contains("real-model", text, StringComparison.Ordinal);
        Assert.Contains("response POST /v1/chat/completions status=200", text, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-key-123", text, StringComparison.Ordinal);
        Assert.DoesNotContain("another-secret", text, StringComparison.Ordinal);
    }
}
