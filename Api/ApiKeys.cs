using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using CotProxy.Http.Server;

namespace CotProxy.Api;

/// <summary>
/// PROXY_API_KEYS: when set, every request needs one of the keys, as <c>Authorization: Bearer KEY</c> (as OpenAI's
/// clients send it) or <c>x-api-key: KEY</c> (as Anthropic's do), compared in constant time. The health endpoints
/// and <c>/metrics</c> need none: probes and scrapers carry no key.
/// </summary>
internal sealed class ApiKeys
{
    private readonly byte[][] _keys;
    private readonly int _longest;

    public ApiKeys(IReadOnlyList<string> keys)
    {
        _keys = [.. keys.Select(Encoding.UTF8.GetBytes)];
        _longest = _keys.Max(k => k.Length);
    }

    /// <summary>True when <paramref name="request"/> carries one of the keys, or asks a path that needs none.</summary>
    public bool Admits(HttpRequest request)
    {
        if (HealthEndpoint.Answers(request.Path) || MetricsEndpoint.Answers(request.Path))
        {
            return true;
        }

        var presented = Presented(request);
        return presented is not null && Matches(presented);
    }

    /// <summary>401 with an OpenAI-shaped error (code <c>invalid_api_key</c>, as OpenAI answers a wrong key) and WWW-Authenticate.</summary>
    public static ValueTask RejectAsync(HttpContext context)
    {
        var presented = Presented(context.Request) is not null;
        var message = presented
            ? "The API key is not one this proxy accepts (PROXY_API_KEYS)."
            : "This proxy needs an API key (PROXY_API_KEYS): send it as 'Authorization: Bearer KEY' or 'x-api-key: KEY'.";

        // RFC 9110 §15.5.2: a 401 names the scheme to use; RFC 6750 §3 is Bearer's.
        return OpenAiErrorWriter.WriteAsync(context.Response, 401, message, "invalid_api_key", "WWW-Authenticate", "Bearer realm=\"cot-proxy\"", context.Aborted);
    }

    private static string? Presented(HttpRequest request)
    {
        // RFC 6750 §2.1: "Bearer" and one token; the scheme is case-insensitive (RFC 9110 §11.1).
        if (request.GetHeader("Authorization") is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }

        return request.GetHeader("x-api-key")?.Trim();
    }

    /// <summary>Every key is compared, each in constant time, so the time taken tells nothing of which (if any) matched.</summary>
    private bool Matches(string presented)
    {
        int length = Encoding.UTF8.GetByteCount(presented);
        if (length == 0 || length > _longest)
        {
            return false;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var candidate = rented.AsSpan(0, Encoding.UTF8.GetBytes(presented, rented));
            bool found = false;
            foreach (var key in _keys)
            {
                found |= key.Length == candidate.Length && CryptographicOperations.FixedTimeEquals(key, candidate);
            }

            return found;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
