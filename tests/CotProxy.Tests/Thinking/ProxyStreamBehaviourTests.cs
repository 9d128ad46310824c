using System.IO.Compression;
using System.Text;
using CotProxy.Tests.Filtering;

namespace CotProxy.Tests.Thinking;

/// <summary>The thinking filter as the proxy applies it to streams arriving over a real socket, one behaviour per test.</summary>
public sealed class ProxyStreamBehaviourTests
{
    private const string StreamRequest = """{"model":"any","stream":true,"messages":[{"role":"user","content":"hi"}]}""";
    private const string KeepAlive = ": thinking\n\n";

    [Fact]
    public async Task KeepAlive_UpstreamSilentInsideThought_ThinkingCommentsSent()
    {
        var pieces = new List<(byte[], int)>
        {
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, "<think>")) + SseEvents.Content((0, "pondering"))), 0),
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, " still"))), 1500),
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, "</think>\n\nAnswer.")) + SseEvents.Finish() + SseEvents.Done), 0),
        };
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", pieces), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        var first = body.IndexOf(KeepAlive, StringComparison.Ordinal);
        Assert.True(first >= 0, "no keep-alive comment in: " + body);
        Assert.True(first < body.IndexOf("Answer.", StringComparison.Ordinal), "keep-alive after the answer: " + body);
        Assert.Equal("Answer.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.DoesNotContain("pondering", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAlive_UpstreamSilentMidEventInsideThought_CommentsOnlyBetweenEvents()
    {
        var thinking = Encoding.UTF8.GetBytes(SseEvents.Content((0, "<think>pondering")));
        var closing = Encoding.UTF8.GetBytes(SseEvents.Content((0, "</think>Answer.")) + SseEvents.Finish() + SseEvents.Done);
        var pieces = new List<(byte[], int)>
        {
            (thinking, 0),
            (closing[..25], 0),
            (closing[25..], 1200),
        };
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream; charset=utf-8", pieces), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.Contains(KeepAlive, body, StringComparison.Ordinal);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.True(e == ": thinking" || e.StartsWith("data: ", StringComparison.Ordinal), "broken event: " + e));
        Assert.Equal("Answer.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Fact]
    public async Task KeepAlive_UpstreamSilentInsideAnswer_NoThinkingComment()
    {
        var pieces = new List<(byte[], int)>
        {
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, "<think>x</think>")) + SseEvents.Content((0, "Part one"))), 0),
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, ", part two.")) + SseEvents.Finish() + SseEvents.Done), 700),
        };
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", pieces), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain(KeepAlive, body, StringComparison.Ordinal);
        Assert.Equal("Part one, part two.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Fact]
    public async Task ContentEncoding_UpstreamGzipsDespiteIdentity_PassedUntouched()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>secret</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(sse);
        }

        var gzipped = compressed.ToArray();
        var upstream = new ScriptedUpstream("text/event-stream", Pieces.Uneven(gzipped, 16), headers: [new("Content-Encoding", "gzip")]);
        await using var pair = ProxyPair.Start(upstream);

        var response = await pair.PostAsync(StreamRequest, extraHeaders: "Accept-Encoding: gzip, br\r\n");

        // The proxy asked for identity (it must rewrite plain text); this upstream ignored that, so the body goes on as it came.
        Assert.Equal("identity", upstream.LastAcceptEncoding);
        Assert.Equal("gzip", response.Header("Content-Encoding"));
        Assert.Equal(gzipped, Encoding.Latin1.GetBytes(response.Body));
    }

    [Fact]
    public async Task Utf8_MultiByteCharactersSplitAcrossEveryWrite_ArriveIntact()
    {
        const string Thought = "思考中… ещё немного";
        const string Answer = "Größe: 日本語 🙂 naïve — ✓";
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>" + Thought)), SseEvents.Content((0, "</think>\n\n" + Answer[..9])), SseEvents.Content((0, Answer[9..])), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", Pieces.Bytes(sse)));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain('\uFFFD', body);
        Assert.DoesNotContain("思考", body, StringComparison.Ordinal);
        Assert.Equal(Answer, RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Fact]
    public async Task CustomNonAsciiTags_SplitAcrossEveryWrite_Stripped()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<思考>内心")), SseEvents.Content((0, "の声</思")), SseEvents.Content((0, "考>答え")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", Pieces.Bytes(sse)), "model=any,enable_think_tag_filtering=true,think_tag_start=<思考>,think_tag_end=</思考>");

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.Equal("答え", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.DoesNotContain("内心", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartsOpen_NoEndTagBeforeStreamEnds_HeldTextReleasedAsAnswer()
    {
        // A DeepSeek-R1 distill whose template opened the block may still answer without thinking at all.
        var sse = SseEvents.Utf8([SseEvents.Content((0, "Just ")), SseEvents.Content((0, "an answer.")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", Pieces.Uneven(sse, 20)), "model=any,enable_think_tag_filtering=true,think_starts_open=true");

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.Equal("Just an answer.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.Contains("\"finish_reason\":\"stop\"", body, StringComparison.Ordinal);
        Assert.EndsWith(SseEvents.Done, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartsOpen_OnlyEndTagArrives_TextBeforeItHidden()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "mulling it over\n")), SseEvents.Content((0, "</think>")), SseEvents.Content((0, "\n\nAnswer.")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", Pieces.Uneven(sse, 20)), "model=any,enable_think_tag_filtering=true,think_starts_open=true");

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.Equal("Answer.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.DoesNotContain("mulling", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MultipleChoices_InterleavedWithTagsSplitDifferently_EachFilteredAlone()
    {
        var sse = SseEvents.Utf8(
        [
            SseEvents.Content((0, "<th")),
            SseEvents.Content((1, "<think>")),
            SseEvents.Content((0, "ink>zero thinks</thi"), (1, "one thinks")),
            SseEvents.Content((1, "</think>\n\nOne answer")),
            SseEvents.Content((0, "nk>\n\nZero answer")),
            SseEvents.Content((2, "No thought here")),
            SseEvents.Finish(0),
            SseEvents.Finish(1),
            SseEvents.Finish(2),
            SseEvents.Done,
        ]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", Pieces.Uneven(sse, 30)));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        var visible = RewriterHarness.VisibleText(RewriterHarness.SseData(body));
        Assert.Equal("Zero answer", visible[0]);
        Assert.Equal("One answer", visible[1]);
        Assert.Equal("No thought here", visible[2]);
        Assert.DoesNotContain("thinks", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventStreamWithContentLength_Rewritten_SentChunkedWithoutStaleLength()
    {
        // Some servers (and recording replayers) send a finished event stream with a Content-Length; the rewritten body is shorter.
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>long hidden thought</think>")), SseEvents.Content((0, "Answer")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("text/event-stream", Pieces.Uneven(sse, 40), contentLength: true));

        var response = await pair.PostAsync(StreamRequest);

        Assert.Null(response.Header("Content-Length"));
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.Equal("Answer", RewriterHarness.VisibleText(RewriterHarness.SseData(Utf8Body(response)))[0]);
    }

    [Fact]
    public async Task MislabelledStream_EventStreamSentAsApplicationJson_PassesUncorrupted()
    {
        // The response's Content-Type picks the rewriter, not the request's stream flag; a stream mislabelled as JSON is not
        // JSON, so the whole-body rewriter leaves it as it is.
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>x</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new ScriptedUpstream("application/json", Pieces.Uneven(sse, 30)));

        var response = await pair.PostAsync(StreamRequest);

        Assert.Equal(200, response.Status);
        Assert.Equal(sse, Encoding.Latin1.GetBytes(response.Body));
        Assert.Equal(sse.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
    }

    [Fact]
    public async Task FilteringOff_NoProfileAndNotEnabled_StreamUntouched()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>kept</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        var upstream = new ScriptedUpstream("text/event-stream", Pieces.Uneven(sse, 20));
        await using var pair = ProxyPair.Start(upstream, enableFiltering: false);

        var response = await pair.PostAsync(StreamRequest, extraHeaders: "Accept-Encoding: gzip\r\n");

        Assert.Equal(sse, Encoding.Latin1.GetBytes(response.Body));
        Assert.Equal("gzip", upstream.LastAcceptEncoding);
    }

    private static string Utf8Body(Wire.RawResponse response)
    {
        Assert.Equal(200, response.Status);
        return Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(response.Body));
    }
}
