using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace CotProxy.Logging;

/// <summary>
/// The numbers of one running proxy, served at <c>/metrics</c> in the Prometheus text format (version 0.0.4). Every cell
/// a request touches is made at start-up or the first time its label set occurs and then only incremented with an
/// interlocked add: the hot path takes no lock and allocates nothing. The label sets are bounded: routes are a fixed
/// set, models the configured ones plus <c>other</c> and <c>none</c>, statuses the three-digit codes.
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>The Content-Type of the text exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The <c>model</c> label of a request that named no model (a GET, a health check).</summary>
    public const string NoModel = "none";

    /// <summary>The <c>model</c> label of a model that is not configured: clients cannot grow the series without bound.</summary>
    public const string OtherModel = "other";

    private const int NoModelIndex = 0;
    private const int OtherModelIndex = 1;

    // The largest number of distinct configured model labels; more share "other".
    private const int MaxModels = 4000;

    private static readonly string[] s_routes = ["other", "chat_completions", "completions", "responses", "messages", "ollama_chat", "ollama_generate", "models", "health", "metrics"];

    private readonly string[] _models;
    private readonly Dictionary<string, int> _modelIndex = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, MetricsCounter> _requests = new();
    private readonly long[] _tokens;
    private readonly List<UpstreamMetrics> _upstreams = [];
    private long _inFlight;
    private long _connections;
    private long _heartbeats;
    private long _filterEventsDropped;
    private long _thinkingStrip;
    private long _thinkingSplit;

    /// <param name="models">The configured model names and pseudo-models: each gets its own <c>model</c> label.</param>
    public ProxyMetrics(IEnumerable<string> models)
    {
        var names = new List<string> { NoModel, OtherModel };
        _modelIndex[NoModel] = NoModelIndex;
        _modelIndex[OtherModel] = OtherModelIndex;
        foreach (var model in models)
        {
            if (names.Count < MaxModels && _modelIndex.TryAdd(model, names.Count))
            {
                names.Add(model);
            }
        }

        _models = [.. names];
        _tokens = new long[_models.Length * 2];
    }

    /// <summary>The histogram of first_answer_token_seconds: request start to the first answer byte after hidden thinking.</summary>
    public MetricsHistogram FirstAnswer { get; } = new();

    /// <summary>The metrics of the upstream named <paramref name="name"/>, made on first use (at start-up).</summary>
    public UpstreamMetrics Upstream(string name)
    {
        lock (_upstreams)
        {
            foreach (var upstream in _upstreams)
            {
                if (upstream.Name == name)
                {
                    return upstream;
                }
            }

            var made = new UpstreamMetrics(name);
            _upstreams.Add(made);
            return made;
        }
    }

    public void ConnectionOpened() => Interlocked.Increment(ref _connections);

    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);

    public void RequestStarted() => Interlocked.Increment(ref _inFlight);

    /// <summary>One request is over: counted under its route, model, status (the access log's) and whether it streamed.</summary>
    public void RequestEnded(RequestStats stats, string? model, int status)
    {
        Interlocked.Decrement(ref _inFlight);
        var modelIndex = ModelIndex(model);
        var key = Key(stats.Route, modelIndex, status, stats.Stream);
        if (!_requests.TryGetValue(key, out var counter))
        {
            counter = _requests.GetOrAdd(key, static _ => new MetricsCounter());
        }

        counter.Increment();
        if (stats.PromptTokens > 0)
        {
            Interlocked.Add(ref _tokens[modelIndex * 2], stats.PromptTokens);
        }

        if (stats.CompletionTokens > 0)
        {
            Interlocked.Add(ref _tokens[(modelIndex * 2) + 1], stats.CompletionTokens);
        }
    }

    public void HeartbeatSent() => Interlocked.Increment(ref _heartbeats);

    /// <summary>Events the filter dropped unread inside a thought (the count the per-request warning reports).</summary>
    public void FilterEventsDropped(int count) => Interlocked.Add(ref _filterEventsDropped, count);

    /// <summary>Characters of thinking the filter removed (strip) or moved to the reasoning field (split).</summary>
    public void ThinkingChars(bool split, long count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref split ? ref _thinkingSplit : ref _thinkingStrip, count);
        }
    }

    private int ModelIndex(string? model) =>
        model is null ? NoModelIndex : _modelIndex.TryGetValue(model, out var index) ? index : OtherModelIndex;

    private static long Key(MetricsRoute route, int model, int status, bool stream) =>
        (((((long)route * MaxModels) + model) * 1000) + Math.Clamp(status, 0, 999)) * 2 + (stream ? 1 : 0);

    /// <summary>Every metric in the text exposition format: each family's HELP and TYPE, then its samples.</summary>
    public void Render(PooledByteBuffer output)
    {
        var text = new StringBuilder(4096);
        Family(text, "requests_total", "counter", "Requests answered, by route, model label, status (499: the client went away) and whether the response streamed.");
        foreach (var (key, counter) in _requests.OrderBy(p => p.Key))
        {
            var stream = (key % 2) == 1;
            var status = (int)(key / 2 % 1000);
            var model = (int)(key / 2000 % MaxModels);
            var route = (int)(key / 2000 / MaxModels);
            text.Append("cot_proxy_requests_total{route=\"").Append(s_routes[route]).Append("\",model=\"");
            Escaped(text, _models[model]);
            text.Append("\",status=\"").Append(status.ToString(CultureInfo.InvariantCulture)).Append("\",stream=\"").Append(stream ? "true" : "false").Append("\"} ");
            Number(text, counter.Value);
        }

        Gauge(text, "requests_in_flight", "Requests being answered now.", Volatile.Read(ref _inFlight));
        Gauge(text, "connections_open", "Client connections open now.", Volatile.Read(ref _connections));

        UpstreamMetrics[] upstreams;
        lock (_upstreams)
        {
            upstreams = [.. _upstreams];
        }

        Family(text, "upstream_ttfb_seconds", "histogram", "Time from sending a request upstream to the upstream's response head.");
        foreach (var upstream in upstreams)
        {
            Histogram(text, "upstream_ttfb_seconds", "upstream", upstream.Name, upstream.TimeToFirstByte);
        }

        Family(text, "upstream_duration_seconds", "histogram", "Time from sending a request upstream to the end of its response body.");
        foreach (var upstream in upstreams)
        {
            Histogram(text, "upstream_duration_seconds", "upstream", upstream.Name, upstream.Duration);
        }

        Family(text, "first_answer_token_seconds", "histogram", "Time from a filtered request's first byte to the first answer text the client receives, after any hidden thinking.");
        Histogram(text, "first_answer_token_seconds", null, null, FirstAnswer);

        Family(text, "thinking_chars_total", "counter", "Characters of thinking the filter removed (mode strip) or moved into the reasoning field (mode split).");
        text.Append("cot_proxy_thinking_chars_total{mode=\"strip\"} ");
        Number(text, Volatile.Read(ref _thinkingStrip));
        text.Append("cot_proxy_thinking_chars_total{mode=\"split\"} ");
        Number(text, Volatile.Read(ref _thinkingSplit));

        Family(text, "heartbeats_total", "counter", "SSE comments (': thinking') sent to keep clients waiting during hidden thinking.");
        text.Append("cot_proxy_heartbeats_total ");
        Number(text, Volatile.Read(ref _heartbeats));

        Family(text, "filter_events_dropped_total", "counter", "Stream events the filter could not read inside a thought and dropped (failing closed).");
        text.Append("cot_proxy_filter_events_dropped_total ");
        Number(text, Volatile.Read(ref _filterEventsDropped));

        Family(text, "upstream_errors_total", "counter", "Failed upstream calls, by upstream and kind (the class of the failure: connection_refused, response_timeout, response_body…).");
        foreach (var upstream in upstreams)
        {
            foreach (var (kind, counter) in upstream.Errors.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append("cot_proxy_upstream_errors_total{upstream=\"");
                Escaped(text, upstream.Name);
                text.Append("\",kind=\"");
                Escaped(text, kind);
                text.Append("\"} ");
                Number(text, counter.Value);
            }
        }

        Family(text, "tokens_total", "counter", "Tokens the upstream reported in its responses' usage, by model label and direction (prompt, completion).");
        for (var i = 0; i < _models.Length; i++)
        {
            for (var direction = 0; direction < 2; direction++)
            {
                var value = Volatile.Read(ref _tokens[(i * 2) + direction]);
                if (value == 0)
                {
                    continue;
                }

                text.Append("cot_proxy_tokens_total{model=\"");
                Escaped(text, _models[i]);
                text.Append(direction == 0 ? "\",direction=\"prompt\"} " : "\",direction=\"completion\"} ");
                Number(text, value);
            }
        }

        var bytes = Encoding.UTF8.GetByteCount(text.ToString());
        output.EnsureFree(bytes);
        output.Advance(Encoding.UTF8.GetBytes(text.ToString(), output.FreeMemory.Span));
    }

    private static void Family(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP cot_proxy_").Append(name).Append(' ').Append(help).Append("\n# TYPE cot_proxy_").Append(name).Append(' ').Append(type).Append('\n');

    private static void Gauge(StringBuilder text, string name, string help, long value)
    {
        Family(text, name, "gauge", help);
        text.Append("cot_proxy_").Append(name).Append(' ');
        Number(text, value);
    }

    private static void Histogram(StringBuilder text, string name, string? label, string? value, MetricsHistogram histogram)
    {
        var (cumulative, sum) = histogram.Snapshot();
        var bounds = histogram.Bounds;
        for (var i = 0; i < cumulative.Length; i++)
        {
            text.Append("cot_proxy_").Append(name).Append("_bucket{");
            Label(text, label, value, ",");
            text.Append("le=\"").Append(i < bounds.Count ? bounds[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf").Append("\"} ");
            Number(text, cumulative[i]);
        }

        text.Append("cot_proxy_").Append(name).Append("_sum");
        if (label is not null)
        {
            text.Append('{');
            Label(text, label, value, "");
            text.Append('}');
        }

        text.Append(' ').Append(sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("cot_proxy_").Append(name).Append("_count");
        if (label is not null)
        {
            text.Append('{');
            Label(text, label, value, "");
            text.Append('}');
        }

        text.Append(' ');
        Number(text, cumulative[^1]);
    }

    private static void Label(StringBuilder text, string? label, string? value, string separator)
    {
        if (label is null)
        {
            return;
        }

        text.Append(label).Append("=\"");
        Escaped(text, value!);
        text.Append('"').Append(separator);
    }

    private static void Number(StringBuilder text, long value) => text.Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>A label value as the text format asks: backslash, double quote and line feed escaped.</summary>
    private static void Escaped(StringBuilder text, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        }
    }
}
