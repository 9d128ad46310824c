using CotProxy.Logging;

namespace CotProxy.Api;

/// <summary><c>cot-proxy health-check</c>: asks the running proxy's /health, for container health checks where no curl exists.</summary>
internal static class HealthCheckCommand
{
    public static async Task<int> RunAsync(Uri healthUrl)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await client.GetAsync(healthUrl);
            var body = await response.Content.ReadAsStringAsync();
            Console.Out.WriteLine($"{(int)response.StatusCode} {body}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"cot-proxy: health check of {healthUrl} failed: {(ex is TaskCanceledException ? $"no answer within {client.Timeout.TotalSeconds:0} s" : ExceptionText.Describe(ex))}.");
            return 1;
        }
    }
}
