using System.Buffers;
using System.Text;
using CotProxy.Tests.Support;
using CotProxy.Http.Server;

namespace CotProxy.Tests.Http.Server;

/// <summary>
/// The head parser on its own: each head is fed whole, cut at every byte position and one byte per segment, and must give
/// the same outcome every time (the wire tests cover the same rules through a socket).
/// </summary>
public sealed class HttpRequestParserTests
{
    private static readonly HttpLimits s_limits = new();

    public static TheoryData<string> ValidHeads =>
    [
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:5000\r\nContent-Type: application/json\r\nAuthorization: Bearer sk-x\r\nContent-Length: 2\r\n\r\n{}",
        "\r\nGET /x?a=1&b=%20 HTTP/1.1\r\nhost: h\r\nconnection: close\r\ncontent-type:text/plain\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n",
        "PUT /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GET http://example.com/v1/models?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Tab: a\tb\r\nX-Obs: caf\u00e9\r\nX-Empty:\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
    ];

    public static TheoryData<string, string> InvalidHeads => new()
    {
        { "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", nameof(RejectionReason.MalformedRequestLine) },
        { "GET / HTTP/1.1\nHost: x\r\n\r\n", nameof(RejectionReason.MalformedRequestLine) },
        { "GET / HTTP/2.0\r\nHost: x\r\n\r\n", nameof(RejectionReason.UnsupportedHttpVersion) },
        { "GET / HTTP/1.1\r\nHost: x\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "GET / HTTP/1.1\r\nHost : x\r\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u007fb\r\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "GET / HTTP/1.1\r\n\r\n", nameof(RejectionReason.MissingOrDuplicateHost) },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", nameof(RejectionReason.MissingOrDuplicateHost) },
        { "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", nameof(RejectionReason.MissingOrDuplicateHost) },
        { "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", nameof(RejectionReason.MissingOrDuplicateHost) },
        { "GET / HTTP/1.1\r\nHost: evil.com/x\r\n\r\n", nameof(RejectionReason.InvalidHost) },
        { "GET / HTTP/1.1\r\nHost: user@evil.com\r\n\r\n", nameof(RejectionReason.InvalidHost) },
        { "GET / HTTP/1.1\r\nHost: a.com, b.com\r\n\r\n", nameof(RejectionReason.InvalidHost) },
        { "GET / HTTP/1.0\r\nHost: a.com b.com\r\n\r\n", nameof(RejectionReason.InvalidHost) },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", nameof(RejectionReason.ConflictingContentLength) },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", nameof(RejectionReason.InvalidContentLength) },
        { "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(RejectionReason.ContentLengthWithTransferEncoding) },
        { "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", nameof(RejectionReason.UnsupportedTransferEncoding) },
        { "POST / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n", nameof(RejectionReason.UnsupportedExpectation) },
    };

    [Theory]
    [MemberData(nameof(ValidHeads))]
    public void TryParseHead_ValidHeadSplitAnywhere_GivesTheSameRequest(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var whole = Parse(new ReadOnlySequence<byte>(bytes));
        Assert.StartsWith("head ", whole);

        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(whole, Parse(Segments.Split(bytes, cut)));
        }

        Assert.Equal(whole, Parse(Segments.Bytewise(bytes)));
    }

    [Theory]
    [MemberData(nameof(ValidHeads))]
    public void TryParseHead_EveryPrefixOfAHead_AsksForMoreBytes(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var headLength = text.IndexOf("\r\n\r\n", text.StartsWith("\r\n", StringComparison.Ordinal) ? 2 : 0, StringComparison.Ordinal) + 4;
        for (var length = 0; length < headLength; length++)
        {
            var prefix = bytes[..length];
            Assert.Equal("more", Parse(new ReadOnlySequence<byte>(prefix)));
            if (length > 1)
            {
                Assert.Equal("more", Parse(Segments.Split(prefix, length / 2)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(InvalidHeads))]
    public void TryParseHead_InvalidHeadSplitAnywhere_GivesTheSameRejection(string text, string reason)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        Assert.Equal($"reject {reason}", Parse(new ReadOnlySequence<byte>(bytes)));
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal($"reject {reason}", Parse(Segments.Split(bytes, cut)));
        }
    }

    [Theory]
    [InlineData("get")]
    [InlineData("head")]
    [InlineData("Post")]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public void TryParseHead_Method_KeptExactlyAsSent(string method)
    {
        // RFC 9110 §9.1: the method token is case-sensitive; only "HEAD" itself is HEAD.
        var request = ParseRequest($"{method} / HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(method, request.Method);
        Assert.Equal(method == "HEAD", request.IsHead);
    }

    [Fact]
    public void TryParseHead_LowercaseOptionsWithAsterisk_Rejected()
    {
        // RFC 9112 §3.2.4: asterisk-form is for OPTIONS only, and "options" is another method.
        Assert.Equal($"reject {nameof(RejectionReason.MalformedRequestLine)}", Parse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes("options * HTTP/1.1\r\nHost: x\r\n\r\n"))));
    }

    [Fact]
    public void TryParseHead_HeaderNames_KeepTheClientsSpelling()
    {
        var request = ParseRequest("GET / HTTP/1.1\r\nhost: x\r\ncontent-type: a\r\nAuthorization: b\r\nX-Custom-Thing: c\r\n\r\n");
        Assert.Equal(["host", "content-type", "Authorization", "X-Custom-Thing"], request.Headers.Select(h => h.Key));
        Assert.Same("Authorization", request.Headers[2].Key);
    }

    [Fact]
    public void TryParseHead_NextRequestOnTheConnection_ReusesTheStringsOfRepeatedFields()
    {
        var request = new HttpRequest();
        Parse(request, "POST /a HTTP/1.1\r\nHost: h\r\nX-Custom: same\r\nX-Varies: 1\r\nContent-Length: 0\r\n\r\n");
        var first = request.Headers.ToArray();

        Parse(request, "POST /a HTTP/1.1\r\nHost: h\r\nX-Custom: same\r\nX-Varies: 2\r\nx-other: 1\r\n\r\n");
        var second = request.Headers;

        Assert.Equal(["Host=h", "X-Custom=same", "X-Varies=2", "x-other=1"], second.Select(h => $"{h.Key}={h.Value}"));
        Assert.Same(first[0].Value, second[0].Value);
        Assert.Same(first[0].Value, request.Host);
        Assert.Same(first[1].Key, second[1].Key);
        Assert.Same(first[1].Value, second[1].Value);
        Assert.Same(first[2].Key, second[2].Key);
        Assert.NotSame(first[2].Value, second[2].Value);
        Assert.Equal(-1, request.ContentLength);
    }

    [Fact]
    public void TryParseHead_AfterEveryValidHead_GivesWhatAFreshConnectionGives()
    {
        // A field that repeats the previous request's is taken without validating it again: whatever came before, every
        // head must still give exactly its own outcome, rejections included.
        var heads = ValidHeads.Select<object[], string>(row => (string)row[0]).Concat(InvalidHeads.Select<object[], string>(row => (string)row[0]))
            .Concat(["GET / HTTP/1.1\r\nHost:\tx \r\nX-Tab: a\tb\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nX-Obs: caf\u00e9\r\nX-Tab: a\tb\r\n\r\n"]);
        foreach (var previous in ValidHeads.Select<object[], string>(row => (string)row[0]))
        {
            foreach (var head in heads)
            {
                var request = new HttpRequest();
                Assert.StartsWith("head ", Parse(request, Bytes(previous)));
                Assert.Equal(Parse(Bytes(head)), Parse(request, Bytes(head)));
            }
        }
    }

    [Theory]
    [InlineData("X-Bad: a\u0001b", nameof(RejectionReason.MalformedHeader))]
    [InlineData("X-Bad : ab", nameof(RejectionReason.MalformedHeader))]
    [InlineData("X-Bad: ab\rc", nameof(RejectionReason.MalformedHeader))]
    [InlineData("X-Bad:\u0001ab", nameof(RejectionReason.MalformedHeader))]
    [InlineData("X-Bad:ab\u0001", nameof(RejectionReason.MalformedHeader))]
    public void TryParseHead_FieldLikeThePreviousRequestsButInvalid_IsStillRejected(string field, string reason)
    {
        var request = new HttpRequest();
        Parse(request, "GET / HTTP/1.1\r\nHost: x\r\nX-Bad: ab\r\n\r\n");

        Assert.Equal($"reject {reason}", Parse(request, Bytes($"GET / HTTP/1.1\r\nHost: x\r\n{field}\r\n\r\n")));
    }

    [Fact]
    public void TryParseHead_HostLikeThePreviousRequestsButInvalid_IsStillRejected()
    {
        var request = new HttpRequest();
        Parse(request, "GET / HTTP/1.1\r\nHost: a.com\r\n\r\n");

        Assert.Equal($"reject {nameof(RejectionReason.InvalidHost)}", Parse(request, Bytes("GET / HTTP/1.1\r\nHost: a.com/x\r\n\r\n")));
        Assert.Equal($"reject {nameof(RejectionReason.InvalidHost)}", Parse(request, Bytes("GET / HTTP/1.1\r\nHost: a.com b\r\n\r\n")));
    }

    [Fact]
    public void TryParseHead_RepeatedFieldWithOtherWhitespace_TakesThePreviousStrings()
    {
        var request = new HttpRequest();
        Parse(request, "POST /a HTTP/1.1\r\nHost: h\r\nX-Custom: same\r\nContent-Length: 5\r\n\r\n");
        var first = request.Headers.ToArray();

        Parse(request, "POST /a HTTP/1.1\r\nHost:h \r\nX-Custom:\t same\t\r\nContent-Length: 7\r\n\r\n");

        Assert.Equal(["Host=h", "X-Custom=same", "Content-Length=7"], request.Headers.Select(h => $"{h.Key}={h.Value}"));
        Assert.Same(first[0].Value, request.Host);
        Assert.Same(first[1].Key, request.Headers[1].Key);
        Assert.Same(first[1].Value, request.Headers[1].Value);
        Assert.Equal(7, request.ContentLength);
    }

    [Theory]
    [InlineData("CONTENT-LENGTH: 5", "length=5 chunked=False")]
    [InlineData("content-Length: 5", "length=5 chunked=False")]
    [InlineData("Content_Length: 5", "length=-1 chunked=False")]
    [InlineData("Content-Lengt^: 5", "length=-1 chunked=False")]
    [InlineData("X-Bench-Stream: 5", "length=-1 chunked=False")]
    [InlineData("TRANSFER-ENCODING: chunked", "length=-1 chunked=True")]
    [InlineData("Transfer_Encoding: chunked", "length=-1 chunked=False")]
    [InlineData("Content-Length: 007", "length=7 chunked=False")]
    public void TryParseHead_FramingFieldNameInAnyCase_OnlyThatNameFrames(string field, string expected)
    {
        Assert.Contains($" {expected} ", Parse(Bytes($"POST / HTTP/1.1\r\nHOST: x\r\n{field}\r\n\r\n")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hOsT: x\r\nHost: y", nameof(RejectionReason.MissingOrDuplicateHost))]
    [InlineData("Host: x\r\nEXPECT: magic", nameof(RejectionReason.UnsupportedExpectation))]
    [InlineData("Host: x\r\nContent-Length: 1\r\nCONTENT-LENGTH: 2", nameof(RejectionReason.ConflictingContentLength))]
    [InlineData("Host: x\r\nContent-Length: 1,2", nameof(RejectionReason.ConflictingContentLength))]
    [InlineData("Host: x\r\nContent-Length: 1x", nameof(RejectionReason.InvalidContentLength))]
    [InlineData("Host: x\r\nContent-Length:", nameof(RejectionReason.InvalidContentLength))]
    public void TryParseHead_FieldNamesInAnyCase_RulesStillApply(string fields, string reason)
    {
        Assert.Equal($"reject {reason}", Parse(Bytes($"POST / HTTP/1.1\r\n{fields}\r\n\r\n")));
    }

    [Fact]
    public void TryParseHead_SameTargetAsThePreviousRequest_TakesItsString()
    {
        var request = new HttpRequest();
        Parse(request, "GET /v1/models HTTP/1.1\r\nHost: h\r\n\r\n");
        var first = request.Target;

        Parse(request, "POST /v1/models HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Same(first, request.Target);

        Parse(request, "GET /v1/modelz HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal("/v1/modelz", request.Target);

        Parse(request, "GET http://h/v1/modelz?a=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal("/v1/modelz?a=1", request.Target);
        Parse(request, "GET /v1/modelz?a=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Equal("/v1/modelz?a=1", request.Target);
    }

    [Fact]
    public void TryParseHead_IncompleteHeadInBetween_StillReusesThePreviousRequestsStrings()
    {
        var request = new HttpRequest();
        const string Head = "GET /a HTTP/1.1\r\nHost: h\r\nX-Custom: same\r\n\r\n";
        Parse(request, Head);
        var first = request.Headers.ToArray();

        var reader = new SequenceReader<byte>(Bytes(Head[..30]));
        Assert.False(HttpRequestParser.TryParseHead(ref reader, request, s_limits));
        Parse(request, Head);

        Assert.Same(first[1].Key, request.Headers[1].Key);
        Assert.Same(first[1].Value, request.Headers[1].Value);
    }

    [Fact]
    public void TryParseHead_RequestLineAtTheLimit_IsAcceptedAndOneByteMoreIs414()
    {
        var prefix = "GET /";
        var suffix = " HTTP/1.1";
        var atLimit = prefix + new string('a', s_limits.MaxRequestLineBytes - prefix.Length - suffix.Length) + suffix;
        Assert.StartsWith("head ", Parse(Bytes(atLimit + "\r\nHost: x\r\n\r\n")));
        Assert.Equal("reject RequestLineTooLong", Parse(Bytes("GET /a" + atLimit[prefix.Length..] + "\r\nHost: x\r\n\r\n")));

        // Without its end in sight, a request line that is already too long is refused at once.
        Assert.Equal("reject RequestLineTooLong", Parse(Bytes("GET /" + new string('a', s_limits.MaxRequestLineBytes))));
    }

    [Fact]
    public void TryParseHead_EmptyLinesBeforeTheRequestLine_CountTowardItsLimit()
    {
        Assert.StartsWith("head ", Parse(Bytes(string.Concat(Enumerable.Repeat("\r\n", 100)) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
        Assert.Equal("reject RequestLineTooLong", Parse(Bytes(string.Concat(Enumerable.Repeat("\r\n", s_limits.MaxRequestLineBytes)))));
    }

    [Fact]
    public void TryParseHead_HeaderSectionAtTheLimit_IsAcceptedAndOneByteMoreIs431()
    {
        // The header section counts every field line with its CRLF, and the final empty line.
        var start = "GET / HTTP/1.1\r\n";
        var fixedPart = "Host: x\r\nX-Fill: \r\n\r\n".Length;
        var fill = new string('f', s_limits.MaxHeaderBytes - fixedPart);
        var atLimit = start + "Host: x\r\nX-Fill: " + fill + "\r\n\r\n";
        Assert.StartsWith("head ", Parse(Bytes(atLimit)));
        Assert.StartsWith("head ", Parse(Segments.Split(Bytes(atLimit).ToArray(), 4096, 8192, 12288)));
        Assert.Equal("reject HeadersTooLarge", Parse(Bytes(start + "Host: x\r\nX-Fill: f" + fill + "\r\n\r\n")));
        Assert.Equal("more", Parse(Bytes(start + "Host: x\r\nX-Fill: ffff" + fill)));
        Assert.Equal("reject HeadersTooLarge", Parse(Bytes(start + "Host: x\r\nX-Fill: fffff" + fill)));
    }

    [Fact]
    public void TryParseHead_HeadFollowedByALargeBody_TakesOnlyTheHead()
    {
        var head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(head + new string('b', 100_000));
        Assert.Equal(Parse(Bytes(head)), Parse(new ReadOnlySequence<byte>(bytes)));
        Assert.Equal(Parse(Bytes(head)), Parse(Segments.Split(bytes, 10, 4096, 50_000)));
        Assert.Equal(Parse(Bytes(head)), Parse(Segments.Split(bytes, head.Length + 5, 4096, 50_000)));
        Assert.Equal(Parse(Bytes(head)), Parse(Segments.Split(bytes, head.Length, 4096)));
    }

    [Fact]
    public void TryParseHead_TooManyFields_Is431()
    {
        var fields = string.Concat(Enumerable.Range(0, s_limits.MaxHeaderCount).Select(i => $"X-{i}: v\r\n"));
        Assert.StartsWith("head ", Parse(Bytes("GET / HTTP/1.0\r\n" + fields + "\r\n")));
        Assert.Equal("reject TooManyHeaders", Parse(Bytes("GET / HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n")));
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.Latin1.GetBytes(text));

    private static HttpRequest ParseRequest(string text) => Parse(new HttpRequest(), text);

    private static HttpRequest Parse(HttpRequest request, string text)
    {
        var reader = new SequenceReader<byte>(Bytes(text));
        Assert.True(HttpRequestParser.TryParseHead(ref reader, request, s_limits));
        return request;
    }

    /// <summary>The outcome as one comparable line: the parsed request and the bytes taken, "more", or the rejection.</summary>
    private static string Parse(ReadOnlySequence<byte> bytes) => Parse(new HttpRequest(), bytes);

    private static string Parse(HttpRequest request, ReadOnlySequence<byte> bytes)
    {
        var reader = new SequenceReader<byte>(bytes);
        try
        {
            if (!HttpRequestParser.TryParseHead(ref reader, request, s_limits))
            {
                return "more";
            }
        }
        catch (HttpRejection rejection)
        {
            return $"reject {rejection.Reason}";
        }

        var headers = string.Join("|", request.Headers.Select(h => $"{h.Key}={h.Value}"));
        return $"head consumed={reader.Consumed} {request.Method} {request.Target} http11={request.IsHttp11} host={request.Host} "
            + $"length={request.ContentLength} chunked={request.IsChunked} keepAlive={request.KeepAlive} close={request.ConnectionClose} "
            + $"expect={request.ExpectContinue} [{headers}]";
    }
}
