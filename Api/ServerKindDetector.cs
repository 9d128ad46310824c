using System.Text.Json;
using CotProxy.Http.Forwarding;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy.Api;

/// <summary>
/// The kind of server behind the target, for the thinking switch: SERVER_KIND when set, else asked of the server once, the
/// first time a request needs it (so start-up never waits on the upstream, and a proxy whose clients never use the switch
/// never asks). The answer is logged; an upstream that answers nothing is asked again by the next request that needs it.
/// </summary>
internal sealed class ServerKindDetector
{
    // Model lists and /props are small; what decides is near the start.
    private const int MaxProbeBytes = 64 * 1024;

    private readonly Forwarder _forwarder;
    private readonly Lock _lock = new();
    private Task<ServerKind?>? _detection;
    private ServerKind? _known;

    public ServerKindDetector(Forwarder forwarder, ServerKind? configured)
    {
        _forwarder = forwarder;
        _known = configured;
    }

    /// <summary>The kind, detected on the first call; null while the upstream answers none of the probes.</summary>
    public ValueTask<ServerKind?> GetAsync()
    {
        if (_known is { } known)
        {
            return new ValueTask<ServerKind?>(known);
        }

        Task<ServerKind?> detection;
        lock (_lock)
        {
            detection = _detection ??= DetectAsync();
        }

        return new ValueTask<ServerKind?>(detection);
    }

    private async Task<ServerKind?> DetectAsync()
    {
        var options = _forwarder.Options;
        var (kind, reason) = await DetectAsync(_forwarder.Invoker, options.TargetBaseUrl, options.Credentials, options.HealthTimeout, CancellationToken.None);
        if (kind is { } found)
        {
            _known = found;
            Log.Info($"upstream server kind: {ThinkingNames.Name(found)} ({reason}); set SERVER_KIND or a profile's server_kind to say otherwise");
        }
        else
        {
            lock (_lock)
            {
                _detection = null;
            }

            Log.Warn($"upstream server kind unknown: {reason}; the thinking switch is not applied until it answers (or set SERVER_KIND)");
        }

        return kind;
    }

    /// <summary>
    /// Asks the server at <paramref name="baseUrl"/> what it is: its model list's <c>owned_by</c> (vLLM, SGLang and llama.cpp
    /// name themselves there), Ollama's <c>/api/version</c>, llama.cpp's <c>/props</c>, and the <c>Server</c> header of
    /// every answer. A server that answers and is none of these is taken as OpenAI-compatible.
    /// </summary>
    public static async Task<(ServerKind? Kind, string Reason)> DetectAsync(HttpMessageInvoker invoker, Uri baseUrl, UpstreamCredentials credentials, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var root = ServerRoot(baseUrl);
        bool answered = false;
        foreach (var (uri, probe) in new (Uri, Probe)[] { (new Uri(root, "v1/models"), Probe.Models), (new Uri(root, "api/version"), Probe.OllamaVersion), (new Uri(root, "props"), Probe.LlamaCppProps) })
        {
            var answer = await UpstreamProbe.GetAsync(invoker, uri, credentials, timeout, MaxProbeBytes, cancellationToken);
            if (answer is null)
            {
                continue;
            }

            answered = true;
            if (Decide(probe, answer) is { } kind)
            {
                return (kind, $"detected: GET {uri.AbsolutePath} {Explain(probe, answer, kind)}");
            }
        }

        return answered
            ? (ServerKind.OpenAi, "detected: no llama.cpp, vLLM, SGLang or Ollama signs, so OpenAI-compatible")
            : (null, $"{baseUrl.GetLeftPart(UriPartial.Authority)} did not answer");
    }

    /// <summary>What one probe's answer says, if anything.</summary>
    internal static ServerKind? Decide(Probe probe, ProbeAnswer answer)
    {
        // llama.cpp's server sets Server: llama.cpp on every answer (tools/server/server-http.cpp, set_default_headers).
        if (answer.Server is { } server && server.Contains("llama.cpp", StringComparison.OrdinalIgnoreCase))
        {
            return ServerKind.LlamaCpp;
        }

        if (answer.Status is < 200 or >= 300)
        {
            return null;
        }

        return probe switch
        {
            // owned_by: "vllm" (vllm entrypoints/openai engine/protocol.py, ModelCard), "sglang" (sglang srt/entrypoints/openai/
            // protocol.py, ModelCard), "llamacpp" (llama.cpp tools/server). Ollama's /v1/models says the model's namespace.
            Probe.Models => OwnedBy(answer.Body),
            // Ollama answers GET /api/version with {"version":"0.x.y"} (ollama docs/api.md, "Version").
            Probe.OllamaVersion => HasTopLevelString(answer.Body, "version"u8) ? ServerKind.Ollama : null,
            // llama.cpp's GET /props: the server's settings, default_generation_settings among them (tools/server/README.md).
            _ => HasTopLevelKey(answer.Body, "default_generation_settings"u8) ? ServerKind.LlamaCpp : null,
        };
    }

    /// <summary>
    /// The server's root: the base URL without a trailing <c>v1/</c>. Clients' paths carry their <c>/v1</c> and are joined
    /// onto the base, so <c>/v1/models</c>, Ollama's <c>/api/version</c> and llama.cpp's <c>/props</c> all hang off the root.
    /// </summary>
    internal static Uri ServerRoot(Uri baseUrl)
    {
        var path = baseUrl.AbsolutePath;
        if (!path.EndsWith('/'))
        {
            path += "/";
        }

        if (path.EndsWith("/v1/", StringComparison.Ordinal))
        {
            path = path[..^3];
        }

        return new UriBuilder(baseUrl) { Path = path, Query = "" }.Uri;
    }

    private static string Explain(Probe probe, ProbeAnswer answer, ServerKind kind) =>
        answer.Server is { } server && server.Contains("llama.cpp", StringComparison.OrdinalIgnoreCase) ? $"answered with Server: {Log.SafeText(server, 60)}"
        : probe == Probe.Models ? $"lists models owned_by \"{ThinkingNames.Name(kind)}\""
        : probe == Probe.OllamaVersion ? "answered Ollama's version"
        : "answered llama.cpp's props";

    private static ServerKind? OwnedBy(byte[] body)
    {
        var reader = new Utf8JsonReader(body, isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("owned_by"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    if (reader.ValueTextEquals("vllm"u8))
                    {
                        return ServerKind.Vllm;
                    }

                    if (reader.ValueTextEquals("sglang"u8))
                    {
                        return ServerKind.SGLang;
                    }

                    if (reader.ValueTextEquals("llamacpp"u8))
                    {
                        return ServerKind.LlamaCpp;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON, or cut at the probe's limit: what was read said nothing.
        }

        return null;
    }

    private static bool HasTopLevelString(byte[] body, ReadOnlySpan<byte> name) => TopLevel(body, name) == JsonTokenType.String;

    private static bool HasTopLevelKey(byte[] body, ReadOnlySpan<byte> name) => TopLevel(body, name) != JsonTokenType.None;

    /// <summary>The type of the top-level member <paramref name="name"/> of a JSON object body; None when absent or not JSON.</summary>
    private static JsonTokenType TopLevel(byte[] body, ReadOnlySpan<byte> name)
    {
        var reader = new Utf8JsonReader(body, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return JsonTokenType.None;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = reader.ValueTextEquals(name);
                if (!reader.Read())
                {
                    break;
                }

                if (match)
                {
                    return reader.TokenType;
                }

                if (!reader.TrySkip())
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: not the answer looked for.
        }

        return JsonTokenType.None;
    }

    /// <summary>Which probe an answer came from.</summary>
    internal enum Probe
    {
        Models,
        OllamaVersion,
        LlamaCppProps,
    }
}
