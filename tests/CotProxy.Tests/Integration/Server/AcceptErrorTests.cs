using System.Text.RegularExpressions;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Server;

/// <summary>Out of file descriptors, the proxy backs off and logs the run of failed accepts twice, not per failure.</summary>
public sealed class AcceptErrorTests
{
    [Fact]
    public async Task DescriptorLimitReached_AcceptErrorsLoggedOnceThenSummarised_ServesAgain()
    {
        // Out of descriptors, the JIT runtime (not the native-AOT build, checked with strace) fails as "Out of memory"
        // when it must open a file: the W^X double mapping for new code, and reading /sys/devices/system/cpu/possible
        // for a new thread-pool thread. So W^X is off, and the pool is held at two workers, started before the limit.
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_EnableWriteXorExecute"] = "0",
            ["DOTNET_ThreadPool_ForceMinWorkerThreads"] = "2",
            ["DOTNET_ThreadPool_ForceMaxWorkerThreads"] = "2",
        };
        await using var proxy = await ProxyProcess.StartAsync(["--demo", "--host", "127.0.0.1", "--port", "0"], environment, maxOpenFiles: 128);
        try
        {
            var warmUp = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => GetHealthAsync(proxy)));
            Assert.All(warmUp, response => Assert.Equal(200, response.Status));
            var connections = new List<RawConnection>();
            try
            {
                // The kernel completes these handshakes into the listen backlog; the proxy runs out of descriptors accepting them.
                for (var i = 0; i < 200; i++)
                {
                    connections.Add(await RawConnection.OpenAsync(proxy.EndPoint));
                }

                await proxy.WaitForLineAsync(new Regex(" warn accept failed"), TimeSpan.FromSeconds(10));
                await Task.Delay(TimeSpan.FromSeconds(2));
                Assert.Single(Regex.Matches(proxy.Output, "accept failed"));
            }
            finally
            {
                foreach (var connection in connections)
                {
                    connection.Dispose();
                }
            }

            Assert.Equal(200, (await GetHealthAsync(proxy)).Status);

            // The run of failures ends, and is summed up, at an accept a second after the last failure.
            await Task.Delay(TimeSpan.FromSeconds(1.2));
            Assert.Equal(200, (await GetHealthAsync(proxy)).Status);
            var summary = await proxy.WaitForLineAsync(new Regex(@" info accepting again: \d+ accept error\(s\) \(too many open files"), TimeSpan.FromSeconds(10));
            Assert.Matches(@"in the last \d+(\.\d)? s$", summary);
        }
        catch (Exception ex)
        {
            // What the proxy logged is what explains a failure here (a crash at the descriptor limit, say).
            throw new Xunit.Sdk.XunitException($"{ex.GetType().Name}: {ex.Message}\nproxy output:\n{proxy.Output}");
        }
    }

    private static async Task<RawResponse> GetHealthAsync(ProxyProcess proxy)
    {
        using var client = await RawConnection.OpenAsync(proxy.EndPoint);
        await client.SendAsync("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        return await client.ReadResponseAsync(timeoutMs: 20_000);
    }
}
