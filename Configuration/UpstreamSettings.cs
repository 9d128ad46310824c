namespace CotProxy.Configuration;

/// <summary>One upstream of a config file's <c>upstreams:</c> map.</summary>
/// <param name="Name">The name profiles use to pick it (<c>upstream: local</c>).</param>
/// <param name="BaseUrl">base_url, normalized as TARGET_BASE_URL is (path ends with '/').</param>
/// <param name="ApiKey">api_key: sent upstream in <paramref name="ApiKeyHeader"/>; null = none.</param>
/// <param name="ApiKeyHeader">api_key_header: Authorization (the key as "Bearer KEY") unless the file names another.</param>
/// <param name="Timeout">timeout in seconds, its API_REQUEST_TIMEOUT; null = API_REQUEST_TIMEOUT's value.</param>
/// <param name="MaxConcurrent">max_concurrent: the most requests it gets at once; null = no cap.</param>
/// <param name="Line">The line its name is on.</param>
internal sealed record UpstreamSettings(string Name, Uri BaseUrl, string? ApiKey, string ApiKeyHeader, TimeSpan? Timeout, int? MaxConcurrent, int Line);
