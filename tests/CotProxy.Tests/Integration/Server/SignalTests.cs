using System.Text;
using System.Text.RegularExpressions;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Server;

/// <summary>The real program under signals: SIGQUIT drains as SIGTERM does; SIGUSR1 and SIGUSR2 are logged and ignored (SIGHUP reloads: Configuration/ConfigReloadTests).</summary>
public sealed class SignalTests
{
    private static readonly string[] s_demo = ["--demo", "--host", "127.0.0.1", "--port", "0"];

    [Theory]
    [InlineData("USR1", "SIGUSR1")]
    [InlineData("USR2", "SIGUSR2")]
    public async Task Signal_Ignorable_LoggedAndKeepsServing(string signal, string name)
    {
        await using var proxy = await ProxyProcess.StartAsync(s_demo);

        await proxy.SignalAsync(signal);
        await proxy.WaitForLineAsync(new Regex($@" info {name} received: ignored"), TimeSpan.FromSeconds(10));
        await proxy.SignalAsync(signal);

        Assert.Equal(200, (await GetHealthAsync(proxy)).Status);
        Assert.Null(await proxy.WaitForExitAsync(TimeSpan.FromMilliseconds(200)));
        Assert.Equal(2, Regex.Count(proxy.Output, $@" info {name} received: ignored"));
    }

    [Fact]
    public async Task Sigquit_RequestInFlight_FinishesThenExitsZero()
    {
        await using var proxy = await ProxyProcess.StartAsync(s_demo);
        using var client = await RawConnection.OpenAsync(proxy.EndPoint);
        var body = Encoding.UTF8.GetBytes("""{"model":"demo","messages":[{"role":"user","content":"Hello!"}],"demo_token_delay_ms":100}""");
        await client.SendAsync([.. Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"), .. body]);
        await Task.Delay(300);

        await proxy.SignalAsync("QUIT");
        var response = await client.ReadResponseAsync(timeoutMs: 30_000);

        Assert.Equal(200, response.Status);
        Assert.Contains("\"finish_reason\":\"stop\"", response.Body, StringComparison.Ordinal);
        Assert.Equal(0, await proxy.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(" info SIGQUIT received\n", proxy.Output, StringComparison.Ordinal);
        Assert.Contains(" info stopping: draining in-flight requests", proxy.Output, StringComparison.Ordinal);
        Assert.Contains(" info stopped\n", proxy.Output, StringComparison.Ordinal);
    }

    private static async Task<RawResponse> GetHealthAsync(ProxyProcess proxy)
    {
        using var client = await RawConnection.OpenAsync(proxy.EndPoint);
        await client.SendAsync("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        return await client.ReadResponseAsync();
    }
}
