using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CotProxy.Configuration;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Configuration;

/// <summary>
/// Reloading: SIGHUP and a changed file over the real process, a reload that fails keeping the running configuration,
/// and a request in flight finishing on the configuration it started with.
/// </summary>
public sealed class ConfigReloadTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Sighup_EnvFileChanged_NewProfileAppliesAndRestartSettingsAreNamed()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        string env = _directory.Write("proxy.env", $"TARGET_BASE_URL={server.BaseUrl}\nLLM_PARAMS=model=m,temperature=0.1\n");
        await using var proxy = await ProxyProcess.StartAsync(["--env-file", env, "--host", "127.0.0.1", "--port", "0"]);
        Assert.Contains("\"temperature\":0.1", await ForwardedBodyAsync(proxy.EndPoint, upstream), StringComparison.Ordinal);

        _directory.Write("proxy.env", $"TARGET_BASE_URL={server.BaseUrl}\nLLM_PARAMS=model=m,temperature=0.9\nCONNECT_TIMEOUT=5\n");
        await proxy.SignalAsync("HUP");
        await proxy.WaitForLineAsync(new Regex(" info configuration reloaded: 1 profile"), TimeSpan.FromSeconds(10));

        Assert.Contains("\"temperature\":0.9", await ForwardedBodyAsync(proxy.EndPoint, upstream), StringComparison.Ordinal);
        Assert.Contains(" info SIGHUP received: reloading the configuration\n", proxy.Output, StringComparison.Ordinal);
        Assert.Contains(" warn CONNECT_TIMEOUT 10 s -> 5 s: needs a restart (the running value stays)\n", proxy.Output, StringComparison.Ordinal);
        Assert.Null(await proxy.WaitForExitAsync(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task ConfigFileChanged_Reloaded_ThenABrokenEditKeepsTheRunningConfiguration()
    {
        var upstream = new RecordingHandler();
        await using var server = new TestServer(upstream);
        string file = _directory.Write("cot.yaml", Config(server.BaseUrl, "0.1"));
        await using var proxy = await ProxyProcess.StartAsync(["--host", "127.0.0.1", "--port", "0"], new Dictionary<string, string> { ["COT_CONFIG"] = file });
        Assert.Contains("\"temperature\":0.1", await ForwardedBodyAsync(proxy.EndPoint, upstream), StringComparison.Ordinal);

        _directory.Write("cot.yaml", Config(server.BaseUrl, "0.9"));
        await proxy.WaitForLineAsync(new Regex(" info configuration reloaded: 1 profile"), TimeSpan.FromSeconds(10));
        Assert.Contains(" info " + file + " changed: reloading the configuration\n", proxy.Output, StringComparison.Ordinal);
        Assert.Contains("\"temperature\":0.9", await ForwardedBodyAsync(proxy.EndPoint, upstream), StringComparison.Ordinal);

        _directory.Write("cot.yaml", Config(server.BaseUrl, "0.5").Replace("temperature", "temprature", StringComparison.Ordinal));
        await proxy.WaitForLineAsync(new Regex(" warn reload failed; the running configuration stays:"), TimeSpan.FromSeconds(10));
        await proxy.WaitForLineAsync(new Regex(Regex.Escape($" warn {file}:5: profile `m`: unknown key `temprature` — did you mean `temperature`?")), TimeSpan.FromSeconds(10));
        Assert.Contains("\"temperature\":0.9", await ForwardedBodyAsync(proxy.EndPoint, upstream), StringComparison.Ordinal);

        // SIGHUP re-reads COT_CONFIG too: still broken, so a second failure, and still the running configuration.
        await proxy.SignalAsync("HUP");
        await proxy.WaitForLineAsync(new Regex(" info SIGHUP received: reloading the configuration"), TimeSpan.FromSeconds(10));
        for (var waited = Stopwatch.StartNew(); Regex.Count(proxy.Output, " warn reload failed; ") < 2 && waited.Elapsed < TimeSpan.FromSeconds(10);)
        {
            await Task.Delay(50);
        }

        Assert.Equal(2, Regex.Count(proxy.Output, " warn reload failed; the running configuration stays:"));
        Assert.Equal(1, Regex.Count(proxy.Output, " info configuration reloaded"));
        Assert.Contains("\"temperature\":0.9", await ForwardedBodyAsync(proxy.EndPoint, upstream), StringComparison.Ordinal);
    }

    [Fact]
    public void RestartSettings_ListenAddressAndPortChanged_EachNamedAsNeedingARestart()
    {
        var running = new ProxySettings { Host = "127.0.0.1", Port = 5000 };
        var next = new ProxySettings { Host = "0.0.0.0", Port = 6000, ShutdownTimeout = TimeSpan.FromSeconds(5), EnableThinkTagFiltering = true };

        Assert.Equal(
            ["HOST 127.0.0.1 -> 0.0.0.0: needs a restart (the running value stays)", "PORT 5000 -> 6000: needs a restart (the running value stays)"],
            RestartSettings.Changed(running, next));
    }

    [Fact]
    public async Task StartUp_SeveralUpstreams_ServesAndLogsTheDefaultUpstream()
    {
        string file = _directory.Write("cot.yaml", "upstreams:\n  a: { base_url: http://127.0.0.1:1/v1 }\n  b: { base_url: http://127.0.0.1:2/v1 }\n");

        await using var proxy = await ProxyProcess.StartAsync(["--port", "0"], new Dictionary<string, string> { ["COT_CONFIG"] = file });

        await proxy.WaitForLineAsync(new Regex(Regex.Escape(" info 2 upstreams (a, b); the default, for models no profile routes and paths without a model: `a` at http://127.0.0.1:1/v1/ (the first in the file)")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Reload_RequestInFlight_FinishesOnItsOwnConfiguration()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                await release.Task;
                await RecordingHandler.WriteAsync(context, 200, "application/json", """{"choices":[{"index":0,"message":{"role":"assistant","content":"<think>old secret</think>answer"}}]}""");
            },
        };
        var second = new RecordingHandler();
        await using var firstServer = new TestServer(first);
        await using var secondServer = new TestServer(second);
        string file = _directory.Write("cot.yaml", Config(firstServer.BaseUrl, "0.1") + "    enable_think_tag_filtering: true\n");
        ProxySettings settings = Load(file);
        await using var host = ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));

        using var inFlight = await RawConnection.OpenAsync(host.LocalEndPoint);
        await inFlight.SendAsync(Chat("m"));
        Assert.Contains("\"temperature\":0.1", (await first.NextAsync()).BodyText, StringComparison.Ordinal);

        _directory.Write("cot.yaml", Config(secondServer.BaseUrl, "0.9"));
        ProxySettings next = Load(file);
        var (profiles, responses) = ProxyHost.LoadProfiles(next, []);
        host.Reload(next, profiles, responses);
        Assert.Contains("\"temperature\":0.9", await ForwardedBodyAsync(host.LocalEndPoint, second), StringComparison.Ordinal);

        // The first request still goes on with the old upstream and the old profile's filter.
        release.SetResult();
        var response = await inFlight.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Contains("answer", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("old secret", response.Body, StringComparison.Ordinal);
        Assert.Equal(1, first.Count);
    }

    [Fact]
    public async Task Watcher_ContentChanged_ReportedOnceAfterItSettles()
    {
        string file = _directory.Write("cot.yaml", "port: 1\n");
        var changes = new List<string>();
        using var watcher = new ConfigWatcher(TimeSpan.FromMilliseconds(20), path =>
        {
            lock (changes)
            {
                changes.Add(path);
            }
        });
        watcher.Track([file]);

        _directory.Write("cot.yaml", "port: 2\n");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && Count() == 0)
        {
            await Task.Delay(20);
        }

        await Task.Delay(200);
        Assert.Equal([file], Snapshot());

        int Count()
        {
            lock (changes)
            {
                return changes.Count;
            }
        }

        List<string> Snapshot()
        {
            lock (changes)
            {
                return [.. changes];
            }
        }
    }

    private static string Config(Uri upstream, string temperature) =>
        $"upstreams:\n  local: {{ base_url: \"{upstream}\" }}\nprofiles:\n  m:\n    temperature: {temperature}\n";

    private ProxySettings Load(string file)
    {
        Assert.True(SettingsLoader.TryLoad([], new Dictionary<string, string> { ["COT_CONFIG"] = file }, _directory.Path, out ProxySettings settings, out string error), error);
        return settings;
    }

    private static byte[] Chat(string model)
    {
        byte[] body = Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");
        return [.. Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"), .. body];
    }

    /// <summary>Sends a chat request for model m and returns the body the upstream received.</summary>
    private static async Task<string> ForwardedBodyAsync(IPEndPoint proxy, RecordingHandler upstream)
    {
        using var client = await RawConnection.OpenAsync(proxy);
        await client.SendAsync(Chat("m"));
        var forwarded = await upstream.NextAsync();
        Assert.Equal(200, (await client.ReadResponseAsync()).Status);
        return forwarded.BodyText;
    }
}
