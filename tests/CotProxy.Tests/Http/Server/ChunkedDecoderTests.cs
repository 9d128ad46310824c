using System.Buffers;
using System.Text;
using CotProxy.Tests.Support;
using CotProxy.Http.Server;
using CsCheck;

namespace CotProxy.Tests.Http.Server;

/// <summary>
/// The chunked request-body decoder on its own (RFC 9112 §7.1). Every input is fed whole, cut at every byte position and
/// one byte at a time, both as one multi-segment buffer and as pieces arriving over time (unconsumed bytes carried over,
/// as RequestBody does with its PipeReader), and must give the same outcome every time.
/// </summary>
public sealed class ChunkedDecoderTests
{
    private static readonly HttpLimits s_limits = new();

    public static TheoryData<string, string> ValidBodies => new()
    {
        { "5\r\nhello\r\n0\r\n\r\n", "hello" },
        { "0\r\n\r\n", "" },
        { "A\r\n0123456789\r\n0\r\n\r\n", "0123456789" },
        { "a\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n", "0123456789x" },
        { "005\r\nhello\r\n0000\r\n\r\n", "hello" },
        { "5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello" },
        { "5 ;name=\"quoted; value\"\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5\t;x\r\nhello\r\n0\r\n\r\n", "hello" },
        { "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:d\r\n\r\n", "hello" },
        { "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n" },
        { "3\r\n\u0000\u00ff\n\r\n0\r\n\r\n", "\u0000\u00ff\n" },
    };

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { "0x5\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "+5\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "-5\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { " 5\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "g\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { ";ext\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5\r\rhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5\r\nhelloX\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5\r\nhello\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5\r\nhello\r0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5;ext\u0001\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5;ext\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "5;ext\u007f\r\nhello\r\n0\r\n\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "8000000000000000\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "10000000000000000\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "ffffffffffffffffffff\r\n", nameof(RejectionReason.MalformedChunkedEncoding) },
        { "0\r\nBad Name: x\r\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "0\r\nX-Trailer: v\n\r\n", nameof(RejectionReason.MalformedHeader) },
        { "0\r\nX-Trailer: a\u0001b\r\n\r\n", nameof(RejectionReason.MalformedHeader) },
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public void Read_ValidBodySplitAnywhere_GivesTheBodyAndCompletes(string wire, string body)
    {
        var outcome = AssertSameOutcomeHoweverSplit(Encoding.Latin1.GetBytes(wire));

        Assert.Equal($"body [{body}] complete rest []", outcome);
    }

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public void Read_InvalidBodySplitAnywhere_RejectsWithTheSameReason(string wire, string reason)
    {
        var outcome = AssertSameOutcomeHoweverSplit(Encoding.Latin1.GetBytes(wire));

        Assert.StartsWith($"rejected {reason}", outcome);
    }

    [Fact]
    public void Read_BytesAfterTheLastChunk_LeftUnconsumedForTheNextRequest()
    {
        var outcome = AssertSameOutcomeHoweverSplit("3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n"u8.ToArray());

        Assert.Equal("body [abc] complete rest [GET / HTTP/1.1\r\n]", outcome);
    }

    [Fact]
    public void Read_BodyNotYetWhole_ReturnsWhatArrivedAndWaits()
    {
        var outcome = AssertSameOutcomeHoweverSplit("5\r\nhello\r\n6\r\nwor"u8.ToArray());

        Assert.Equal("body [hellowor] incomplete rest []", outcome);
    }

    [Fact]
    public void Read_LargestSizeThatFitsInALong_Accepted()
    {
        // 0x7fffffffffffffff is long.MaxValue: the decoder takes it as a size and waits for that much data.
        var outcome = AssertSameOutcomeHoweverSplit("7fffffffffffffff\r\nabc"u8.ToArray());

        Assert.Equal("body [abc] incomplete rest []", outcome);
    }

    [Fact]
    public void Read_ChunkLineOf4096Bytes_Accepted()
    {
        var leadingZeros = new string('0', 4095) + "5\r\nhello\r\n0\r\n\r\n";
        var longExtension = "5;" + new string('a', 4094) + "\r\nhello\r\n0\r\n\r\n";

        Assert.Equal("body [hello] complete rest []", AssertSameOutcomeHoweverSplit(Encoding.ASCII.GetBytes(leadingZeros), everyCut: false));
        Assert.Equal("body [hello] complete rest []", AssertSameOutcomeHoweverSplit(Encoding.ASCII.GetBytes(longExtension), everyCut: false));
    }

    [Fact]
    public void Read_ChunkLineOf4097Bytes_Rejected()
    {
        var leadingZeros = new string('0', 4096) + "5\r\nhello\r\n0\r\n\r\n";
        var longExtension = "5;" + new string('a', 4095) + "\r\nhello\r\n0\r\n\r\n";

        Assert.Equal("rejected MalformedChunkedEncoding after []", AssertSameOutcomeHoweverSplit(Encoding.ASCII.GetBytes(leadingZeros), everyCut: false));
        Assert.Equal("rejected MalformedChunkedEncoding after []", AssertSameOutcomeHoweverSplit(Encoding.ASCII.GetBytes(longExtension), everyCut: false));
    }

    [Fact]
    public void Read_TrailersLargerThanTheHeaderLimit_Rejected()
    {
        var limits = new HttpLimits { MaxHeaderBytes = 64 };
        var wire = Encoding.ASCII.GetBytes("1\r\nx\r\n0\r\nX-Trailer: " + new string('a', 100) + "\r\n\r\n");

        Assert.Equal("rejected HeadersTooLarge after [x]", Feed([wire], long.MaxValue, limits));
        Assert.Equal("rejected HeadersTooLarge after [x]", Feed(Bytewise(wire), long.MaxValue, limits));
    }

    [Fact]
    public void Read_MaxBytesOfOne_ReturnsOneByteAtATimeAndTheSameBody()
    {
        var wire = "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"u8.ToArray();
        var decoder = new ChunkedDecoder();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));
        var body = new StringBuilder();

        while (!decoder.IsComplete)
        {
            var data = decoder.Read(ref reader, 1, s_limits);
            if (data.IsEmpty)
            {
                continue;
            }

            Assert.Equal(1, data.Length);
            body.Append(Encoding.Latin1.GetString(data));
        }

        Assert.Equal("helloabc", body.ToString());
        Assert.True(reader.End);
    }

    [Fact]
    public void Reset_AfterARejectedBody_DecodesTheNextBody()
    {
        var decoder = new ChunkedDecoder();
        Assert.Throws<HttpRejection>(() => ReadAll(decoder, "5\r\nhelloX"u8.ToArray()));

        decoder.Reset();

        Assert.Equal("ok", ReadAll(decoder, "2\r\nok\r\n0\r\n\r\n"u8.ToArray()));
        Assert.True(decoder.IsComplete);
    }

    [Fact]
    public void Read_RandomChunkedBodiesInRandomPieces_GiveTheEncodedBytes()
    {
        // Any chunking of any body, with any size-line spelling, decodes to the body however the bytes arrive.
        // A failure prints the CsCheck seed to replay it (seed: "..." or CsCheck_Seed).
        var chunks = Gen.Byte.Array[1, 40].List[0, 8];
        var spelling = Gen.Select(Gen.Bool, Gen.Int[0, 3], Gen.Bool);
        Gen.Select(chunks, spelling, Gen.Int[1, 17]).Sample((chunkList, style, pieceSize) =>
        {
            var (upperCase, zeros, extension) = style;
            var wire = new List<byte>();
            foreach (var chunk in chunkList)
            {
                wire.AddRange(SizeLine(chunk.Length, upperCase, zeros, extension));
                wire.AddRange(chunk);
                wire.AddRange("\r\n"u8.ToArray());
            }

            wire.AddRange(SizeLine(0, upperCase, zeros, extension));
            wire.AddRange("\r\n"u8.ToArray());
            var expected = $"body [{Encoding.Latin1.GetString([.. chunkList.SelectMany(c => c)])}] complete rest []";

            return Feed(Pieces([.. wire], pieceSize), long.MaxValue, s_limits) == expected
                && Decode(new ReadOnlySequence<byte>([.. wire]), s_limits) == expected;
        });
    }

    [Fact]
    public void Read_RandomBytes_SameOutcomeWholeAndInPieces()
    {
        // Whatever the bytes, valid or not, the outcome (body so far, completion or the rejection) does not depend on how
        // they were split. The alphabet is the decoder's own vocabulary, so most inputs get past the first byte.
        var alphabet = Encoding.ASCII.GetBytes("0123456789abcdefABCDEFxX+- ;=\t\r\n\"\u0001");
        var input = Gen.Int[0, alphabet.Length - 1].Select(i => alphabet[i]).Array[0, 60];
        Gen.Select(input, Gen.Int[1, 7]).Sample((bytes, pieceSize) =>
            Feed([bytes], long.MaxValue, s_limits) == Feed(Pieces(bytes, pieceSize), long.MaxValue, s_limits)
            && Feed([bytes], long.MaxValue, s_limits) == Decode(Segments.Bytewise(bytes), s_limits));
    }

    private static string ReadAll(ChunkedDecoder decoder, byte[] wire)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));
        var body = new StringBuilder();
        for (var data = decoder.Read(ref reader, long.MaxValue, s_limits); !data.IsEmpty; data = decoder.Read(ref reader, long.MaxValue, s_limits))
        {
            body.Append(Encoding.Latin1.GetString(data));
        }

        return body.ToString();
    }

    private static byte[] SizeLine(int size, bool upperCase, int zeros, bool extension)
    {
        var hex = new string('0', zeros) + size.ToString(upperCase ? "X" : "x", System.Globalization.CultureInfo.InvariantCulture);
        return Encoding.ASCII.GetBytes(hex + (extension ? ";ext=\"v\"" : "") + "\r\n");
    }

    /// <summary>
    /// The outcome of the whole input, checked to be the same for every way of cutting it: one multi-segment buffer cut
    /// at each position and one byte per segment, and pieces arriving one after another (cut in two, and byte by byte).
    /// </summary>
    private static string AssertSameOutcomeHoweverSplit(byte[] wire, bool everyCut = true)
    {
        var whole = Feed([wire], long.MaxValue, s_limits);
        var cuts = everyCut ? Enumerable.Range(1, Math.Max(0, wire.Length - 1)) : [1, wire.Length / 2, wire.Length - 1];
        foreach (var cut in cuts)
        {
            Assert.Equal(whole, Decode(Segments.Split(wire, cut), s_limits));
            Assert.Equal(whole, Feed([wire[..cut], wire[cut..]], long.MaxValue, s_limits));
        }

        Assert.Equal(whole, Decode(Segments.Bytewise(wire), s_limits));
        Assert.Equal(whole, Feed(Bytewise(wire), long.MaxValue, s_limits));
        return whole;
    }

    /// <summary>Decodes one buffer in one pass, as when the whole body is already in the pipe.</summary>
    private static string Decode(ReadOnlySequence<byte> buffer, HttpLimits limits)
    {
        var decoder = new ChunkedDecoder();
        var reader = new SequenceReader<byte>(buffer);
        var body = new List<byte>();
        try
        {
            while (!decoder.IsComplete)
            {
                var data = decoder.Read(ref reader, long.MaxValue, limits);
                if (data.IsEmpty)
                {
                    break;
                }

                body.AddRange(data.ToArray());
            }
        }
        catch (HttpRejection rejection)
        {
            return $"rejected {rejection.Reason} after [{Encoding.Latin1.GetString([.. body])}]";
        }

        return Outcome(decoder, body, buffer.Slice(reader.Position).ToArray());
    }

    /// <summary>Feeds pieces one after another; bytes the decoder did not consume are kept and handed over again with the next piece.</summary>
    private static string Feed(IEnumerable<byte[]> pieces, long maxBytes, HttpLimits limits)
    {
        var decoder = new ChunkedDecoder();
        var pending = new List<byte>();
        var body = new List<byte>();
        try
        {
            foreach (var piece in pieces)
            {
                pending.AddRange(piece);
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>([.. pending]));
                while (!decoder.IsComplete)
                {
                    var data = decoder.Read(ref reader, maxBytes, limits);
                    if (data.IsEmpty)
                    {
                        break;
                    }

                    body.AddRange(data.ToArray());
                }

                pending.RemoveRange(0, (int)reader.Consumed);
            }
        }
        catch (HttpRejection rejection)
        {
            return $"rejected {rejection.Reason} after [{Encoding.Latin1.GetString([.. body])}]";
        }

        return Outcome(decoder, body, [.. pending]);
    }

    private static string Outcome(ChunkedDecoder decoder, List<byte> body, byte[] rest) =>
        $"body [{Encoding.Latin1.GetString([.. body])}] {(decoder.IsComplete ? "complete" : "incomplete")} rest [{(decoder.IsComplete ? Encoding.Latin1.GetString(rest) : "")}]";

    private static IEnumerable<byte[]> Bytewise(byte[] bytes) => Pieces(bytes, 1);

    private static IEnumerable<byte[]> Pieces(byte[] bytes, int size)
    {
        for (var i = 0; i < bytes.Length; i += size)
        {
            yield return bytes[i..Math.Min(bytes.Length, i + size)];
        }
    }
}
