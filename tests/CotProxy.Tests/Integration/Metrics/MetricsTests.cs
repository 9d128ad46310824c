using System.Net;
using CotProxy.Http.Server;
using CotProxy.Tests.Support;

namespace CotProxy.Tests.Integration.Metrics;

/// <summary>/metrics (README, "Metrics"): scraped over a real socket after real requests, counted exactly.</summary>
public sealed class MetricsTests
{
    private const string Thought = "<think>abc</think>";

    [Fact]
    public async Task NonStreamFilteredChat_CountedWithThinkingTokensAndFirstAnswer()
    {
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json",
                $$$"""{"model":"qwen3","choices":[{"index":0,"message":{"role":"assistant","content":"{{{Thought}}}Paris"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}"""),
        };
        await using var pair = ProxyPair.Start(upstream, "model=qwen3,enable_think_tag_filtering=true");

        var response = await pair.PostAsync("""{"model":"qwen3","messages":[]}""");
        Assert.Equal(200, response.Status);
        Assert.DoesNotContain("abc", response.Body, StringComparison.Ordinal);

        await ExpectAsync(pair.Proxy.LocalEndPoint, metrics =>
        {
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="chat_completions",model="qwen3",status="200",stream="false"}"""));
            Assert.Equal(Thought.Length, metrics.Value("""cot_proxy_thinking_chars_total{mode="strip"}"""));
            Assert.Equal(0, metrics.Value("""cot_proxy_thinking_chars_total{mode="split"}"""));
            Assert.Equal(11, metrics.Value("""cot_proxy_tokens_total{model="qwen3",direction="prompt"}"""));
            Assert.Equal(7, metrics.Value("""cot_proxy_tokens_total{model="qwen3",direction="completion"}"""));
            Assert.Equal(1, metrics.Value("cot_proxy_first_answer_token_seconds_count{}"));
            Assert.Equal(1, metrics.Value("""cot_proxy_upstream_ttfb_seconds_count{upstream="default"}"""));
            Assert.Equal(1, metrics.Value("""cot_proxy_upstream_duration_seconds_count{upstream="default"}"""));
            Assert.Equal(1, metrics.Value("cot_proxy_requests_in_flight{}"));
            Assert.Equal(0, metrics.Value("cot_proxy_heartbeats_total{}"));
            Assert.Equal(0, metrics.Value("cot_proxy_filter_events_dropped_total{}"));
        });
    }

    [Fact]
    public async Task StreamFilteredChat_StreamLabelThinkingAndUsageOfTheLastChunk()
    {
        var events = new[]
        {
            """{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"<think>"}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"abc"}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"</think>"}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"Paris"}}]}""",
            """{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
            """{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9}}""",
        };
        var body = string.Concat(events.Select(e => $"data: {e}\n\n")) + "data: [DONE]\n\n";
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "text/event-stream", body) };
        await using var pair = ProxyPair.Start(upstream, "model=qwen3,enable_think_tag_filtering=true");

        var response = await pair.PostAsync("""{"model":"qwen3","stream":true,"messages":[]}""");
        Assert.Equal(200, response.Status);
        Assert.Contains("Paris", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("abc", response.Body, StringComparison.Ordinal);

        await ExpectAsync(pair.Proxy.LocalEndPoint, metrics =>
        {
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="chat_completions",model="qwen3",status="200",stream="true"}"""));
            Assert.Equal(Thought.Length, metrics.Value("""cot_proxy_thinking_chars_total{mode="strip"}"""));
            Assert.Equal(5, metrics.Value("""cot_proxy_tokens_total{model="qwen3",direction="prompt"}"""));
            Assert.Equal(9, metrics.Value("""cot_proxy_tokens_total{model="qwen3",direction="completion"}"""));
            Assert.Equal(1, metrics.Value("cot_proxy_first_answer_token_seconds_count{}"));
        });
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task ResponsesApiStream_FirstAnswerFromOutputTextDelta_NotFromReasoningDelta(bool answers, int expected)
    {
        // Split mode passes the reasoning item's deltas: they are "delta"s too, and must not count as the answer. The stream
        // ends before any .done event, so only a delta can have been the answer.
        string[] events =
        [
            """{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","model":"qwen3","output":[]}}""",
            """{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[],"content":[]}}""",
            """{"type":"response.reasoning_text.delta","sequence_number":2,"item_id":"rs_1","output_index":0,"content_index":0,"delta":"abc"}""",
            .. answers
                ? (string[])[
                    """{"type":"response.output_item.added","sequence_number":3,"output_index":1,"item":{"id":"msg_1","type":"message","role":"assistant","status":"in_progress","content":[]}}""",
                    """{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"Paris","logprobs":[]}""",
                ]
                : [],
        ];
        var body = string.Concat(events.Select(e => $"event: {e[9..e.IndexOf('"', 9)]}\ndata: {e}\n\n"));
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "text/event-stream", body) };
        await using var pair = ProxyPair.Start(upstream, "model=qwen3,enable_think_tag_filtering=true,think_mode=split");

        var response = await pair.PostAsync("""{"model":"qwen3","stream":true,"input":"hi"}""", "/v1/responses");
        Assert.Equal(200, response.Status);
        Assert.Contains("abc", response.Body, StringComparison.Ordinal);
        Assert.Equal(answers, response.Body.Contains("Paris", StringComparison.Ordinal));

        await ExpectAsync(pair.Proxy.LocalEndPoint, metrics => Assert.Equal(expected, metrics.Value("cot_proxy_first_answer_token_seconds_count{}")));
    }

    [Fact]
    public async Task UnfilteredOllamaNative_UsageFromEvalCounts_UnknownModelIsOther()
    {
        const string body = """{"model":"llama3","message":{"role":"assistant","content":"hi"},"done":true,"prompt_eval_count":26,"eval_count":290}""";
        var upstream = new RecordingHandler { Respond = (context, _) => RecordingHandler.WriteAsync(context, 200, "application/json", body) };
        await using var pair = ProxyPair.Start(upstream, "model=qwen3,temperature=0.5", enableFiltering: false);

        Assert.Equal(200, (await pair.PostAsync("""{"model":"llama3","messages":[]}""", "/api/chat")).Status);
        Assert.Equal(200, (await pair.PostAsync("""{"model":"some-client-invented-name"}""", "/api/chat")).Status);

        await ExpectAsync(pair.Proxy.LocalEndPoint, metrics =>
        {
            Assert.Equal(2, metrics.Value("""cot_proxy_requests_total{route="ollama_chat",model="other",status="200",stream="false"}"""));
            Assert.Equal(52, metrics.Value("""cot_proxy_tokens_total{model="other",direction="prompt"}"""));
            Assert.Equal(580, metrics.Value("""cot_proxy_tokens_total{model="other",direction="completion"}"""));
            Assert.DoesNotContain(metrics.Samples, s => s.Contains("llama3", StringComparison.Ordinal) || s.Contains("invented", StringComparison.Ordinal));
            Assert.Equal(0, metrics.Value("cot_proxy_first_answer_token_seconds_count{}"));
        });
    }

    [Fact]
    public async Task UnfilteredEncodedBody_UsageNotReadFromIt_PlainOneIs()
    {
        // An encoded body's bytes are not JSON to read: only the plain response's usage is counted.
        const string body = """{"model":"llama3","message":{"role":"assistant","content":"hi"},"done":true,"prompt_eval_count":26,"eval_count":290}""";
        var encoded = 0;
        var upstream = new RecordingHandler
        {
            Respond = (context, _) => Interlocked.Increment(ref encoded) == 1
                ? RecordingHandler.WriteAsync(context, 200, "application/json", body, ("Content-Encoding", "x-opaque"))
                : RecordingHandler.WriteAsync(context, 200, "application/json", body),
        };
        await using var pair = ProxyPair.Start(upstream, "model=qwen3,temperature=0.5", enableFiltering: false);

        Assert.Equal(200, (await pair.PostAsync("""{"model":"llama3","messages":[]}""", "/api/chat")).Status);
        Assert.Equal(200, (await pair.PostAsync("""{"model":"llama3","messages":[]}""", "/api/chat")).Status);

        await ExpectAsync(pair.Proxy.LocalEndPoint, metrics =>
        {
            Assert.Equal(2, metrics.Value("""cot_proxy_requests_total{route="ollama_chat",model="other",status="200",stream="false"}"""));
            Assert.Equal(26, metrics.Value("""cot_proxy_tokens_total{model="other",direction="prompt"}"""));
            Assert.Equal(290, metrics.Value("""cot_proxy_tokens_total{model="other",direction="completion"}"""));
        });
    }

    [Fact]
    public async Task UpstreamRefused_ErrorCountedByKind_RequestBy502()
    {
        await using var proxy = new ProxyFixture(new Uri($"http://127.0.0.1:{ProxyFixture.UnusedPort()}/v1"), llmParams: "model=m,temperature=1");

        Assert.Equal(502, (await proxy.PostJsonAsync("/v1/chat/completions", """{"model":"m"}""")).Status);
        Assert.Equal(502, (await proxy.PostJsonAsync("/v1/completions", """{"model":"m"}""")).Status);

        await ExpectAsync(proxy.EndPoint, metrics =>
        {
            Assert.Equal(2, metrics.Value("""cot_proxy_upstream_errors_total{upstream="default",kind="connection_refused"}"""));
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="chat_completions",model="m",status="502",stream="false"}"""));
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="completions",model="m",status="502",stream="false"}"""));
            Assert.Equal(0, metrics.Value("""cot_proxy_upstream_ttfb_seconds_count{upstream="default"}"""));
        });
    }

    [Fact]
    public async Task OwnEndpoints_CountedUnderTheirRoutes_HeadAnswered_PostRefused()
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = new ProxyFixture(server.BaseUrl);

        Assert.Equal(200, (await proxy.GetAsync("/health/live")).Status);
        var head = await proxy.SendAsync("HEAD /metrics HTTP/1.1\r\nHost: proxy.test\r\n\r\n", headRequest: true);
        Assert.Equal(200, head.Status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", head.Header("Content-Type"));
        Assert.Equal(405, (await proxy.SendAsync("POST /metrics HTTP/1.1\r\nHost: proxy.test\r\nContent-Length: 0\r\n\r\n")).Status);

        await ExpectAsync(proxy.EndPoint, (metrics, scrapesBefore) =>
        {
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="health",model="none",status="200",stream="false"}"""));
            Assert.Equal(1 + scrapesBefore, metrics.Value("""cot_proxy_requests_total{route="metrics",model="none",status="200",stream="false"}"""));
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="metrics",model="none",status="405",stream="false"}"""));
            Assert.Equal(1, metrics.Value("cot_proxy_connections_open{}"));
        });
    }

    [Fact]
    public async Task UnreadableHead_CountedAsOtherWithItsStatus()
    {
        await using var server = new TestServer(new RecordingHandler());
        await using var proxy = new ProxyFixture(server.BaseUrl);

        Assert.Equal(400, (await proxy.SendAsync("GET / HTTP/1.1\r\nBad Header\r\n\r\n")).Status);

        await ExpectAsync(proxy.EndPoint, metrics =>
        {
            Assert.Equal(1, metrics.Value("""cot_proxy_requests_total{route="other",model="none",status="400",stream="false"}"""));
        });
    }

    [Fact]
    public async Task HiddenThoughtStream_HeartbeatsCounted()
    {
        var upstream = new RecordingHandler
        {
            Respond = async (context, _) =>
            {
                var response = context.Response;
                response.Headers.Add(new(HeaderNames.ContentType, "text/event-stream"));
                response.Start(200, null);
                await response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<think>hmm\"}}]}\n\n"u8.ToArray(), context.Aborted);
                await Task.Delay(600);
                await response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"</think>ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"u8.ToArray(), context.Aborted);
            },
        };
        await using var pair = ProxyPair.Start(upstream, "model=qwen3,enable_think_tag_filtering=true", thinkKeepAlive: TimeSpan.FromMilliseconds(100));

        var response = await pair.PostAsync("""{"model":"qwen3","stream":true}""");
        var sent = CountOf(response.Body, ": thinking");
        Assert.True(sent > 0, response.Body);

        await ExpectAsync(pair.Proxy.LocalEndPoint, metrics =>
        {
            Assert.Equal(sent, metrics.Value("cot_proxy_heartbeats_total{}"));
        });
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>
    /// Scrapes until <paramref name="check"/> passes, for up to 10 s: a request is counted as its access line is written,
    /// just after its last byte went out, so a scrape right after a response may come a moment too early.
    /// </summary>
    internal static Task ExpectAsync(IPEndPoint proxy, Action<PrometheusText> check) => ExpectAsync(proxy, (metrics, _) => check(metrics));

    /// <summary>The same, telling <paramref name="check"/> how many scrapes came before (each is counted under route metrics).</summary>
    internal static async Task ExpectAsync(IPEndPoint proxy, Action<PrometheusText, int> check)
    {
        var deadline = Environment.TickCount64 + 10_000;
        for (var scrapes = 0; ; scrapes++)
        {
            var metrics = await ScrapeAsync(proxy);
            try
            {
                check(metrics, scrapes);
                return;
            }
            catch (Exception) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    internal static async Task<PrometheusText> ScrapeAsync(IPEndPoint proxy)
    {
        using var connection = await RawConnection.OpenAsync(proxy);
        await connection.SendAsync("GET /metrics HTTP/1.1\r\nHost: proxy.test\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Header("Content-Type"));
        return PrometheusText.Parse(response.Body);
    }
}
