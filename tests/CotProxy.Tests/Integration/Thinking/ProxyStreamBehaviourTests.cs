using System.IO.Compression;
using System.Text;
using CotProxy.Tests.Support;
using CotProxy.Tests.Filtering;

namespace CotProxy.Tests.Integration.Thinking;

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
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", pieces), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        var first = body.IndexOf(KeepAlive, StringComparison.Ordinal);
        Assert.True(first >= 0, "no keep-alive comment in: " + body);
        Assert.True(first < body.IndexOf("Answer.", StringComparison.Ordinal), "keep-alive after the answer: " + body);
        Assert.Equal("Answer.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.DoesNotContain("pondering", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAlive_UpstreamSilentRightAfterAFullRead_ThinkingCommentsSent()
    {
        // Exactly 16 KiB of thought, alone on the wire: the filter's read takes all of it (a full read, so the next read
        // goes without a zero-byte wait first) and that next read then waits. Keep-alives must still flow meanwhile.
        var thought = new StringBuilder(SseEvents.Content((0, "<think>")));
        while (thought.Length < 16 * 1024 - 600)
        {
            thought.Append(SseEvents.Content((0, " pondering")));
        }

        var last = SseEvents.Content((0, " x"));
        thought.Append(SseEvents.Content((0, " " + new string('x', (16 * 1024) - thought.Length - last.Length + 1))));
        Assert.Equal(16 * 1024, Encoding.UTF8.GetByteCount(thought.ToString()));
        var pieces = new List<(byte[], int)>
        {
            // The pause before it keeps the upstream's head apart, so the 16 KiB come to one read of their own.
            (Encoding.UTF8.GetBytes(thought.ToString()), 300),
            (Encoding.UTF8.GetBytes(SseEvents.Content((0, "</think>\n\nAnswer.")) + SseEvents.Finish() + SseEvents.Done), 1500),
        };
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", pieces, contentLength: true), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        var answer = body.IndexOf("Answer.", StringComparison.Ordinal);
        Assert.True(answer > 0, "no answer in: " + body);
        Assert.Contains(KeepAlive, body[..answer], StringComparison.Ordinal);
        Assert.True(body[..answer].Split(KeepAlive).Length > 3, "keep-alives stopped during the wait after the full read: " + body);
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
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream; charset=utf-8", pieces), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

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
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", pieces), thinkKeepAlive: TimeSpan.FromMilliseconds(200));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain(KeepAlive, body, StringComparison.Ordinal);
        Assert.Equal("Part one, part two.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("x-gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData("gzip, br")]
    public async Task ContentEncoding_UpstreamCompressesDespiteIdentity_DecodedAndFiltered(string codings)
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>secret</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        var encoded = Encode(sse, codings);
        var upstream = new PiecewiseUpstream("text/event-stream", Pieces.Uneven(encoded, 16), headers: [new("Content-Encoding", codings)]);
        await using var pair = ProxyPair.Start(upstream);

        var response = await pair.PostAsync(StreamRequest, extraHeaders: "Accept-Encoding: gzip, br\r\n");

        // The proxy asked for identity (it must rewrite plain text); this upstream ignored that, so the proxy decodes it:
        // a compressed thought must not pass for want of being readable.
        Assert.Equal("identity", upstream.LastAcceptEncoding);
        Assert.Null(response.Header("Content-Encoding"));
        var body = Utf8Body(response);
        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
        Assert.Equal("Answer", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Fact]
    public async Task ContentEncoding_WholeJsonBodyGzipped_DecodedAndFiltered()
    {
        var json = Encoding.UTF8.GetBytes("""{"choices":[{"index":0,"message":{"role":"assistant","content":"<think>secret</think>Answer"},"finish_reason":"stop"}]}""");
        var upstream = new PiecewiseUpstream("application/json", Pieces.Uneven(Encode(json, "gzip"), 16), headers: [new("Content-Encoding", "gzip")]);
        await using var pair = ProxyPair.Start(upstream);

        var response = await pair.PostAsync(StreamRequest);

        Assert.Null(response.Header("Content-Encoding"));
        Assert.Equal("""{"choices":[{"index":0,"message":{"role":"assistant","content":"Answer"},"finish_reason":"stop"}]}""", Utf8Body(response));
    }

    [Fact]
    public async Task ContentEncoding_UnknownCoding_502NamingIt()
    {
        var upstream = new PiecewiseUpstream("text/event-stream", Pieces.Uneven("data: ?\n\n"u8.ToArray(), 16), headers: [new("Content-Encoding", "zstd")]);
        await using var pair = ProxyPair.Start(upstream);

        var response = await pair.PostAsync(StreamRequest);

        Assert.Equal(502, response.Status);
        Assert.Contains("zstd", response.Body, StringComparison.Ordinal);
        Assert.Contains("upstream_unsupported_encoding", response.Body, StringComparison.Ordinal);
    }

    private static byte[] Encode(byte[] body, string codings)
    {
        var encoded = body;
        foreach (var coding in codings.Split(',', StringSplitOptions.TrimEntries))
        {
            using var output = new MemoryStream();
            using (Stream compressor = coding switch
            {
                "gzip" or "x-gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
                "deflate" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
                _ => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
            })
            {
                compressor.Write(encoded);
            }

            encoded = output.ToArray();
        }

        return encoded;
    }

    [Fact]
    public async Task Utf8_MultiByteCharactersSplitAcrossEveryWrite_ArriveIntact()
    {
        const string Thought = "思考中… ещё немного";
        const string Answer = "Größe: 日本語 🙂 naïve — ✓";
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>" + Thought)), SseEvents.Content((0, "</think>\n\n" + Answer[..9])), SseEvents.Content((0, Answer[9..])), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.Bytes(sse)));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain('\uFFFD', body);
        Assert.DoesNotContain("思考", body, StringComparison.Ordinal);
        Assert.Equal(Answer, RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Fact]
    public async Task CustomNonAsciiTags_SplitAcrossEveryWrite_Stripped()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<思考>内心")), SseEvents.Content((0, "の声</思")), SseEvents.Content((0, "考>答え")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.Bytes(sse)), "model=any,enable_think_tag_filtering=true,think_tag_start=<思考>,think_tag_end=</思考>");

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.Equal("答え", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.DoesNotContain("内心", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartsOpen_NoEndTagBeforeStreamEnds_HeldTextReleasedAsAnswer()
    {
        // A DeepSeek-R1 distill whose template opened the block may still answer without thinking at all.
        var sse = SseEvents.Utf8([SseEvents.Content((0, "Just ")), SseEvents.Content((0, "an answer.")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.Uneven(sse, 20)), "model=any,enable_think_tag_filtering=true,think_starts_open=true");

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.Equal("Just an answer.", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
        Assert.Contains("\"finish_reason\":\"stop\"", body, StringComparison.Ordinal);
        Assert.EndsWith(SseEvents.Done, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartsOpen_OnlyEndTagArrives_TextBeforeItHidden()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "mulling it over\n")), SseEvents.Content((0, "</think>")), SseEvents.Content((0, "\n\nAnswer.")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.Uneven(sse, 20)), "model=any,enable_think_tag_filtering=true,think_starts_open=true");

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
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.Uneven(sse, 30)));

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
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("text/event-stream", Pieces.Uneven(sse, 40), contentLength: true));

        var response = await pair.PostAsync(StreamRequest);

        Assert.Null(response.Header("Content-Length"));
        Assert.Equal("chunked", response.Header("Transfer-Encoding"));
        Assert.Equal("Answer", RewriterHarness.VisibleText(RewriterHarness.SseData(Utf8Body(response)))[0]);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    [InlineData(null)]
    public async Task MislabelledStream_EventStreamUnderAnotherLabel_FilteredAsSse(string? contentType)
    {
        // Strip mode trusts the bytes over the label: a thought must not pass because a server labelled its stream wrongly.
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>secret</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream(contentType, Pieces.Uneven(sse, 30)));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
        Assert.Equal("Answer", RewriterHarness.VisibleText(RewriterHarness.SseData(body))[0]);
    }

    [Theory]
    [InlineData("text/event-stream")]
    [InlineData("text/plain")]
    [InlineData(null)]
    public async Task MislabelledBody_JsonDocumentUnderAnotherLabel_FilteredAsJson(string? contentType)
    {
        var json = Encoding.UTF8.GetBytes("{\n  \"choices\": [{\"index\": 0, \"message\": {\"content\": \"<think>secret</think>Answer\"}}]\n}\n");
        await using var pair = ProxyPair.Start(new PiecewiseUpstream(contentType, Pieces.Uneven(json, 7)));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
        Assert.Contains("\"content\":\"Answer\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MislabelledBody_JsonLinesWithoutLabel_FilteredLineByLine()
    {
        var lines = Encoding.UTF8.GetBytes("{\"message\":{\"content\":\"<think>secret\"},\"done\":false}\n{\"message\":{\"content\":\"</think>Answer\"},\"done\":true}\n");
        await using var pair = ProxyPair.Start(new PiecewiseUpstream(null, Pieces.Uneven(lines, 9)));

        var body = Utf8Body(await pair.PostAsync(StreamRequest));

        Assert.DoesNotContain("secret", body, StringComparison.Ordinal);
        Assert.Contains("Answer", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SplitMode_MislabelledStream_LabelStillDecides()
    {
        // Only strip mode promises that no thought passes; split and keep follow the Content-Type as before.
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>x</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        await using var pair = ProxyPair.Start(new PiecewiseUpstream("application/octet-stream", Pieces.Uneven(sse, 30)), "model=*,think_mode=split");

        var response = await pair.PostAsync(StreamRequest);

        Assert.Equal(sse, Encoding.Latin1.GetBytes(response.Body));
    }

    [Fact]
    public async Task FilteringOff_NoProfileAndNotEnabled_StreamUntouched()
    {
        var sse = SseEvents.Utf8([SseEvents.Content((0, "<think>kept</think>Answer")), SseEvents.Finish(), SseEvents.Done]);
        var upstream = new PiecewiseUpstream("text/event-stream", Pieces.Uneven(sse, 20));
        await using var pair = ProxyPair.Start(upstream, enableFiltering: false);

        var response = await pair.PostAsync(StreamRequest, extraHeaders: "Accept-Encoding: gzip\r\n");

        Assert.Equal(sse, Encoding.Latin1.GetBytes(response.Body));
        Assert.Equal("gzip", upstream.LastAcceptEncoding);
    }

    private static string Utf8Body(RawResponse response)
    {
        Assert.Equal(200, response.Status);
        return Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(response.Body));
    }
}
