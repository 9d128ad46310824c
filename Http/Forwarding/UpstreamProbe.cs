namespace CotProxy.Http.Forwarding;

/// <summary>
/// A GET of the proxy's own to the upstream (not a client's request), through the one shared handler with the
/// upstream's key: for learning what kind of server it is.
/// </summary>
internal static class UpstreamProbe
{
    /// <summary>
    /// GETs <paramref name="uri"/> and reads at most <paramref name="maxBytes"/> of the body within
    /// <paramref name="timeout"/>; null when there was no answer (refused, timed out, broken off).
    /// </summary>
    public static async Task<ProbeAnswer?> GetAsync(HttpMessageInvoker invoker, Uri uri, UpstreamCredentials credentials, TimeSpan timeout, int maxBytes, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation("Accept", "application/json");
            if (credentials.Header is { } header)
            {
                request.Headers.TryAddWithoutValidation(header, credentials.Value);
            }

            using var response = await invoker.SendAsync(request, deadline.Token);
            string? server = response.Headers.TryGetValues("Server", out var values) ? string.Join(" ", values) : null;
            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token);

            // Grown as the body comes: maxBytes bounds a models list (megabytes) that is usually a few kilobytes.
            using var buffer = new PooledByteBuffer(Math.Min(maxBytes, 16 * 1024));
            int read;
            while (buffer.Length < maxBytes)
            {
                buffer.EnsureFree(Math.Min(16 * 1024, maxBytes - buffer.Length));
                var free = buffer.FreeMemory;
                if ((read = await body.ReadAsync(free[..Math.Min(free.Length, maxBytes - buffer.Length)], deadline.Token)) == 0)
                {
                    break;
                }

                buffer.Advance(read);
            }

            return new ProbeAnswer((int)response.StatusCode, server, buffer.WrittenSpan.ToArray());
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            // No answer is an answer too: the caller tries the next probe, or again later.
            return null;
        }
    }
}
