using System.Diagnostics;
using System.Globalization;
using CotProxy.Http.Forwarding;

namespace CotProxy.Bench.SlowStreams;

/// <summary>
/// The client half of a proxy alone: N loops, each sending the wrk request through ONE shared
/// <see cref="SocketsHttpHandler"/> configured like cot-proxy's <c>Http/Forwarding/UpstreamClient</c> and reading each response to
/// its end, as cot-proxy forwards every request. After a warm-up, the process's own user and system CPU time over a
/// timed window, divided by the responses in it, is what the handler costs per request with no server side at all.
/// </summary>
internal sealed class ClientFloor
{
    private readonly WrkRequest _request;
    private readonly Uri _url;
    private long _completed;
    private long _errors;
    private string? _firstError;

    public ClientFloor(WrkRequest request, Uri baseUrl)
    {
        _request = request;

        // As wrk: the script's path replaces the URL's.
        _url = new Uri(baseUrl, request.Path);
    }

    public async Task<FloorResult> RunAsync(int connections, TimeSpan warmup, TimeSpan duration)
    {
        // ConnectTimeout as the proxy's default CONNECT_TIMEOUT (10 s).
        using var invoker = UpstreamClient.Create(TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource();
        var loops = new Task[connections];
        for (var i = 0; i < connections; i++)
        {
            loops[i] = Task.Run(() => LoopAsync(invoker, stop.Token));
        }

        await Task.Delay(warmup);
        using var self = Process.GetCurrentProcess();
        var completed0 = Interlocked.Read(ref _completed);
        var user0 = self.UserProcessorTime;
        var system0 = self.PrivilegedProcessorTime;
        var clock = Stopwatch.StartNew();

        await Task.Delay(duration);
        var completed1 = Interlocked.Read(ref _completed);
        var seconds = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var user = (self.UserProcessorTime - user0).TotalMicroseconds;
        var system = (self.PrivilegedProcessorTime - system0).TotalMicroseconds;

        await stop.CancelAsync();
        await Task.WhenAll(loops);
        return new FloorResult(connections, completed1 - completed0, seconds, user, system, Interlocked.Read(ref _errors), Volatile.Read(ref _firstError));
    }

    private async Task LoopAsync(HttpMessageInvoker invoker, CancellationToken stop)
    {
        var buffer = new byte[16384];
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var message = _request.CreateMessage(_url);
                using var response = await invoker.SendAsync(message, stop);
                await using (var body = await response.Content.ReadAsStreamAsync(stop))
                {
                    while (await body.ReadAsync(buffer, stop) > 0)
                    {
                    }
                }

                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _completed);
                }
                else
                {
                    Fail("status " + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The timed window is over; a request cut short by the stop is neither a response nor an error.
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                Fail(ex.GetType().Name + ": " + ex.Message);
            }
        }
    }

    private void Fail(string error)
    {
        Interlocked.Increment(ref _errors);
        Interlocked.CompareExchange(ref _firstError, error, null);
    }
}
