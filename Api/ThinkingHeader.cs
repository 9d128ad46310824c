using CotProxy.Http.Server;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// <c>X-Thinking: off|on|low|medium|high</c>: a client's thinking switch for one request. The proxy consumes it: it is
/// never forwarded, whatever the path.
/// </summary>
internal static class ThinkingHeader
{
    public const string Name = "X-Thinking";

    /// <summary>
    /// Removes every X-Thinking field from <paramref name="request"/> and reads its value; false, with the client's error
    /// message, when a value is not one of the switch's or two fields disagree.
    /// </summary>
    public static bool TryTake(HttpRequest request, out ThinkingSwitch? value, out string? error)
    {
        value = null;
        error = null;
        var headers = request.Headers;
        for (int i = headers.Count - 1; i >= 0; i--)
        {
            var (name, text) = headers[i];
            if (name.Length != Name.Length || !name.Equals(Name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            headers.RemoveAt(i);
            if (!ThinkingNames.TryParseSwitch(text.AsSpan().Trim(" \t"), out var parsed))
            {
                // The value is the client's own bytes: named by the header, not echoed.
                error = $"The {Name} header must be one of {ThinkingNames.SwitchValues}.";
            }
            else if (value is { } earlier && earlier != parsed)
            {
                error = $"The {Name} header is sent twice with different values; send one of {ThinkingNames.SwitchValues}.";
            }

            value = parsed;
        }

        return error is null;
    }
}
