using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using CotProxy.Http.Server;
using CsCheck;

namespace CotProxy.Tests.Http.Server;

/// <summary>
/// The response writer on its own, writing into a pipe: the exact bytes of the head and of each body framing
/// (Content-Length, chunked per RFC 9112 §7.1, close-delimited for HTTP/1.0, none for HEAD, 204 and 304).
/// Chunked output is also read back through <see cref="ChunkedDecoder"/>, the server's own decoder.
/// </summary>
public sealed class HttpResponseTests
{
    private const string Head11 = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";

    [Fact]
    public async Task Write_Chunked_EachWriteIsOneChunkWithALowercaseHexSizeAndTheBodyEndsWithTheZeroChunk()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        test.Response.Write("hello"u8);
        test.Response.Write("abcdefghijklmnopqrstuvwxyz"u8);
        await test.Response.CompleteAsync(default);

        Assert.Equal(
            Head11 + "Transfer-Encoding: chunked\r\n\r\n" + "5\r\nhello\r\n" + "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n" + "0\r\n\r\n",
            test.Written());
        Assert.Equal(31, test.Response.BodyBytes);
        Assert.True(test.Response.KeepAlive);
    }

    [Fact]
    public async Task Write_ChunkedEmptyData_WritesNoChunkSinceAnEmptyChunkWouldEndTheBody()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        test.Response.Write("a"u8);
        test.Response.Write([]);
        test.Response.Write("b"u8);
        await test.Response.CompleteAsync(default);

        Assert.EndsWith("\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n", test.Written());
    }

    [Theory]
    [InlineData(1, "1")]
    [InlineData(15, "f")]
    [InlineData(16, "10")]
    [InlineData(255, "ff")]
    [InlineData(4096, "1000")]
    [InlineData(65535, "ffff")]
    [InlineData(65536, "10000")]
    [InlineData(1_000_000, "f4240")]
    public async Task Write_ChunkedOfLength_SizeLineIsTheLengthInHexWithoutLeadingZeros(int length, string sizeLine)
    {
        var data = Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26))).ToArray();
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        test.Response.Write(data);
        await test.Response.CompleteAsync(default);

        var body = test.WrittenBody();
        Assert.Equal(sizeLine + "\r\n" + Encoding.ASCII.GetString(data) + "\r\n0\r\n\r\n", body);
        Assert.Equal(data, Decode(body));
    }

    [Fact]
    public async Task AdvanceBody_Chunked_SizeLineHasFourHexDigitsWithLeadingZeros()
    {
        // The size line is reserved before the data is read in, so it has a fixed width; RFC 9112 §7.1 allows leading zeros.
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        var memory = test.Response.GetBodyMemory(4096);
        "hello"u8.CopyTo(memory.Span);
        test.Response.AdvanceBody(5);
        await test.Response.CompleteAsync(default);

        Assert.Equal("0005\r\nhello\r\n0\r\n\r\n", test.WrittenBody());
        Assert.Equal(5, test.Response.BodyBytes);
    }

    [Fact]
    public async Task AdvanceBody_ChunkedNothingRead_WritesNoChunk()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        _ = test.Response.GetBodyMemory(4096);
        test.Response.AdvanceBody(0);
        await test.Response.CompleteAsync(default);

        Assert.Equal("0\r\n\r\n", test.WrittenBody());
    }

    [Fact]
    public async Task GetBodyMemory_ChunkedLargeHint_AtMostFfffBytesSoTheSizeFitsFourDigits()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        var memory = test.Response.GetBodyMemory(1 << 20);
        Assert.InRange(memory.Length, 1, 0xFFFF);

        memory.Span.Fill((byte)'z');
        test.Response.AdvanceBody(memory.Length);
        await test.Response.CompleteAsync(default);

        var body = test.WrittenBody();
        Assert.StartsWith($"{memory.Length:x4}\r\nzzz", body);
        Assert.Equal(Enumerable.Repeat((byte)'z', memory.Length), Decode(body));
    }

    [Fact]
    public async Task WriteAndAdvance_ChunkedInAnyMix_DecodeToTheBytesWritten()
    {
        // Any sequence of copied writes and direct reads gives a chunked body that the server's own decoder reads back
        // as the bytes written. A failure prints the CsCheck seed to replay it (seed: "..." or CsCheck_Seed).
        var piece = Gen.Select(Gen.Byte.Array[0, 300], Gen.Bool);
        await piece.List[0, 12].SampleAsync(async pieces =>
        {
            using var test = new ResponseUnderTest();
            test.Response.Start(200, null);
            foreach (var (bytes, direct) in pieces)
            {
                if (direct)
                {
                    var memory = test.Response.GetBodyMemory(bytes.Length);
                    bytes.CopyTo(memory.Span);
                    test.Response.AdvanceBody(bytes.Length);
                }
                else
                {
                    test.Response.Write(bytes);
                }
            }

            await test.Response.CompleteAsync(default);
            var body = test.WrittenBody();
            var expected = pieces.SelectMany(p => p.Item1).ToArray();
            return body.EndsWith("0\r\n\r\n", StringComparison.Ordinal)
                && Decode(body).SequenceEqual(expected)
                && test.Response.BodyBytes == expected.Length;
        });
    }

    [Fact]
    public async Task WriteAsync_Chunked_ChunkReachesTheReaderWithoutWaitingForMore()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);
        await test.Response.WriteAsync("data: {}\n\n"u8, default);

        Assert.EndsWith("\r\n\r\na\r\ndata: {}\n\n\r\n", test.ReadFlushed());
    }

    [Fact]
    public async Task Write_ContentLength_HeaderDeclaresTheLengthAndTheBodyIsRaw()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, 11);
        Assert.False(test.Response.IsBodyComplete);
        test.Response.Write("hello "u8);
        test.Response.Write("world"u8);
        Assert.True(test.Response.IsBodyComplete);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Content-Length: 11\r\n\r\nhello world", test.Written());
    }

    [Fact]
    public void Write_ContentLengthExceeded_Throws()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, 3);
        test.Response.Write("abc"u8);

        Assert.Throws<InvalidOperationException>(() => test.Response.Write("d"u8));
    }

    [Fact]
    public async Task CompleteAsync_ContentLengthNotReached_Throws()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, 3);
        test.Response.Write("ab"u8);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await test.Response.CompleteAsync(default));
    }

    [Fact]
    public async Task GetBodyMemory_ContentLength_NoLongerThanWhatRemains()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, 4);
        var memory = test.Response.GetBodyMemory(4096);
        Assert.Equal(4, memory.Length);

        "abcd"u8.CopyTo(memory.Span);
        test.Response.AdvanceBody(4);
        Assert.True(test.Response.IsBodyComplete);
        Assert.Throws<InvalidOperationException>(() => test.Response.AdvanceBody(1));
        await test.Response.CompleteAsync(default);

        Assert.Equal("abcd", test.WrittenBody());
    }

    [Fact]
    public async Task Start_ContentLengthZero_BodyCompleteAtOnce()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, 0);
        Assert.True(test.Response.IsBodyComplete);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Content-Length: 0\r\n\r\n", test.Written());
    }

    [Fact]
    public async Task Start_HeadWithoutLength_NoTransferEncodingNoBodyNoZeroChunk()
    {
        using var test = new ResponseUnderTest(method: "HEAD");
        test.Response.Start(200, null);
        await test.Response.WriteAsync("ignored"u8, default);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "\r\n", test.Written());
        Assert.Equal(0, test.Response.BodyBytes);
    }

    [Fact]
    public async Task Start_HeadWithLength_DeclaresTheLengthButSendsNoBody()
    {
        // RFC 9110 §9.3.2: a HEAD response carries the headers a GET would, without the content.
        using var test = new ResponseUnderTest(method: "HEAD");
        test.Response.Start(200, 42);
        test.Response.Write("ignored"u8);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Content-Length: 42\r\n\r\n", test.Written());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(9L)]
    [InlineData(10L)]
    [InlineData(1234567890123L)]
    [InlineData(long.MaxValue)]
    public void Start_HeadWithAnyLength_DeclaresItInDecimal(long length)
    {
        // The head of a HEAD response, so no body has to follow: the field is written into one reserved span.
        using var test = new ResponseUnderTest(method: "HEAD");
        test.Response.Start(200, length);

        Assert.Equal(Head11 + "Content-Length: " + length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\r\n\r\n", test.Written());
    }

    [Theory]
    [InlineData(200, "OK")]
    [InlineData(201, "Created")]
    [InlineData(404, "Not Found")]
    [InlineData(502, "Bad Gateway")]
    public void Start_Status_StatusLineWithItsReason(int status, string reason)
    {
        using var test = new ResponseUnderTest(method: "HEAD");
        test.Response.Start(status, 0);

        Assert.StartsWith($"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n", test.Written(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(204, "No Content")]
    [InlineData(304, "Not Modified")]
    public async Task Start_StatusWithoutContent_NoLengthNoTransferEncodingNoBody(int status, string reason)
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(status, 5);
        test.Response.Write("ignored"u8);
        await test.Response.CompleteAsync(default);

        Assert.Equal($"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n\r\n", test.Written());
    }

    [Fact]
    public async Task Start_Http10WithoutLength_BodyEndsWhenTheConnectionCloses()
    {
        // RFC 9112 §6.3: an HTTP/1.0 client cannot read chunked; it learns where the body ends from the close.
        using var test = new ResponseUnderTest(http11: false);
        test.Response.Start(200, null);
        test.Response.Write("hello"u8);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Connection: close\r\n\r\nhello", test.Written());
        Assert.False(test.Response.KeepAlive);
    }

    [Fact]
    public async Task Start_Http10KeepAliveWithLength_SaysKeepAlive()
    {
        using var test = new ResponseUnderTest(http11: false);
        test.Response.Start(200, 2);
        test.Response.Write("ok"u8);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Content-Length: 2\r\nConnection: keep-alive\r\n\r\nok", test.Written());
        Assert.True(test.Response.KeepAlive);
    }

    [Fact]
    public async Task Start_RequestBodyUnread_SaysCloseSinceTheConnectionCannotBeReused()
    {
        using var test = new ResponseUnderTest(unreadBody: true);
        test.Response.Start(200, 2);
        test.Response.Write("ok"u8);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Content-Length: 2\r\nConnection: close\r\n\r\nok", test.Written());
        Assert.False(test.Response.KeepAlive);
    }

    [Fact]
    public async Task Start_CloseRequested_SaysClose()
    {
        using var test = new ResponseUnderTest();
        test.Response.CloseRequested = true;
        test.Response.Start(200, null);
        await test.Response.CompleteAsync(default);

        Assert.Equal(Head11 + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n", test.Written());
    }

    [Fact]
    public async Task Start_HeaderValueWithCrOrLf_FieldDroppedOthersKept()
    {
        using var test = new ResponseUnderTest();
        test.Response.Headers.Add(new("X-Split", "a\r\nX-Injected: b"));
        test.Response.Headers.Add(new("X-Kept", "caf\u00e9"));
        test.Response.Start(502, 0);
        await test.Response.CompleteAsync(default);

        Assert.Equal("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nX-Kept: caf\u00e9\r\nContent-Length: 0\r\n\r\n", test.Written());
    }

    [Fact]
    public void Start_AnyHeaderText_WrittenAsTheEncodersWriteItAndFieldsWithCrLfOrNulDropped()
    {
        // The reference is the rule itself: names through the ASCII encoder, values through Latin-1, a value with CR, LF
        // or NUL dropped with its name. Characters mix ASCII, controls, Latin-1 and beyond, at every position.
        var ch = Gen.OneOf(Gen.Char['a', 'z'], Gen.Char[' ', '~'], Gen.OneOf('\r', '\n', '\0', '\t', '\u00e9', '\u00ff', '\u0100', '\u20ac', '\u007f'));
        var text = ch.Array[0, 40].Select(static c => new string(c));
        var field = Gen.Select(text, text, static (n, v) => new KeyValuePair<string, string>(n, v));
        field.List[0, 8].Sample(fields =>
        {
            using var test = new ResponseUnderTest();
            test.Response.Headers.Clear();
            test.Response.Headers.AddRange(fields);
            test.Response.Start(200, 0);

            var expected = new StringBuilder("HTTP/1.1 200 OK\r\n");
            foreach (var (name, value) in fields)
            {
                if (name.Length == 0 || value.AsSpan().ContainsAny('\r', '\n', '\0'))
                {
                    continue;
                }

                expected.Append(Encoding.Latin1.GetString(Encoding.ASCII.GetBytes(name))).Append(": ")
                    .Append(Encoding.Latin1.GetString(Encoding.Latin1.GetBytes(value))).Append("\r\n");
            }

            expected.Append("Content-Length: 0\r\n\r\n");
            Assert.Equal(expected.ToString(), test.Written());
        }, iter: 2000);
    }

    [Fact]
    public async Task WriteContinueAsync_Http11BeforeStart_WritesInterimResponse()
    {
        using var test = new ResponseUnderTest();
        await test.Response.WriteContinueAsync(default);

        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", test.Written());
    }

    [Fact]
    public async Task WriteContinueAsync_Http10OrAfterStart_WritesNothing()
    {
        using (var http10 = new ResponseUnderTest(http11: false))
        {
            await http10.Response.WriteContinueAsync(default);
            Assert.Equal("", http10.Written());
        }

        using var started = new ResponseUnderTest();
        started.Response.Start(200, 0);
        await started.Response.WriteContinueAsync(default);
        Assert.Equal(Head11 + "Content-Length: 0\r\n\r\n", started.Written());
    }

    [Fact]
    public void Start_Twice_Throws()
    {
        using var test = new ResponseUnderTest();
        test.Response.Start(200, null);

        Assert.Throws<InvalidOperationException>(() => test.Response.Start(200, null));
    }

    [Fact]
    public void Write_BeforeStart_Throws()
    {
        using var test = new ResponseUnderTest();

        Assert.Throws<InvalidOperationException>(() => test.Response.Write("x"u8));
    }

    private static byte[] Decode(string chunkedBody)
    {
        var decoder = new ChunkedDecoder();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(chunkedBody)));
        var body = new List<byte>();
        for (var data = decoder.Read(ref reader, long.MaxValue, new HttpLimits()); !data.IsEmpty; data = decoder.Read(ref reader, long.MaxValue, new HttpLimits()))
        {
            body.AddRange(data.ToArray());
        }

        Assert.True(decoder.IsComplete, "The chunked body did not end with a last chunk.");
        Assert.True(reader.End, "Bytes followed the end of the chunked body.");
        return [.. body];
    }

    /// <summary>One response for one request, writing into a pipe that never pushes back.</summary>
    private sealed class ResponseUnderTest : IDisposable
    {
        private readonly Heartbeat _heartbeat = new(_ => { });
        private readonly Pipe _output = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0));

        public ResponseUnderTest(string method = "GET", bool http11 = true, bool unreadBody = false)
        {
            var request = new HttpRequest { Method = method, Target = "/", IsHttp11 = http11, ContentLength = unreadBody ? 10 : -1 };
            Response = new HttpResponse(_output.Writer);
            var body = new RequestBody(new ConnectionInput(new Pipe().Reader, new Deadline(_heartbeat)), new HttpLimits());
            body.Reset(request, Response);
            Response.Reset(request, body, keepAlive: true);
            Response.Headers.Add(new("Content-Type", "text/plain"));
        }

        public HttpResponse Response { get; }

        /// <summary>Everything written, flushed or not, once the writer is done.</summary>
        public string Written()
        {
            _output.Writer.Complete();
            var text = new StringBuilder();
            while (_output.Reader.TryRead(out var result))
            {
                text.Append(Encoding.Latin1.GetString(result.Buffer));
                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            return text.ToString();
        }

        /// <summary>What a reader on the other end already has, without completing the writer.</summary>
        public string ReadFlushed()
        {
            Assert.True(_output.Reader.TryRead(out var result), "Nothing was flushed.");
            var text = Encoding.Latin1.GetString(result.Buffer);
            _output.Reader.AdvanceTo(result.Buffer.End);
            return text;
        }

        /// <summary>The bytes after the head.</summary>
        public string WrittenBody()
        {
            var written = Written();
            return written[(written.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        }

        public void Dispose() => _heartbeat.Dispose();
    }
}
