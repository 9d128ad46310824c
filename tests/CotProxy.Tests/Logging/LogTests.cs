using System.Text;
using System.Text.RegularExpressions;
using CotProxy.Tests.Support;
using CotProxy.Logging;

namespace CotProxy.Tests.Logging;

/// <summary>The stdout log: exact line formats, client text made safe, and lines leaving in batches.</summary>
[Collection(LogCollection.Name)]
public sealed class LogTests
{
    [Fact]
    public void Access_OrdinaryRequest_OneLineInTheDocumentedFormat()
    {
        var text = Capture(() => Log.Access(null, "POST", "/v1/chat/completions?x=1", "qwen3", 200, 416, 3.46));

        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z access POST /v1/chat/completions\?x=1 model=qwen3 status=200 bytes=416 ms=3\.5\n$"), text);
    }

    [Fact]
    public void Access_NamedServerWithoutModel_NamePrefixAndDash()
    {
        var text = Capture(() => Log.Access("demo", "GET", "/v1/models", null, 499, 0, 0));

        Assert.EndsWith("Z demo access GET /v1/models model=- status=499 bytes=0 ms=0.0\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Access_ControlCharactersAndLongTarget_ReplacedAndCapped()
    {
        var target = "/a\u001b[31m\r\nfake 200\u0085" + new string('x', 300);
        var text = Capture(() => Log.Access(null, "GET", target, "m\nx", 200, 1, 1));

        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(" GET /a?[31m??fake 200?" + new string('x', 200 - 18) + "… model=m?x ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Access_NonAsciiModel_WrittenAsUtf8()
    {
        var text = Capture(() => Log.Access(null, "POST", "/v1/chat/completions", "modèle-😀", 200, 1, 1));

        Assert.Contains(" model=modèle-😀 status=200 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Access_EveryPartAtItsLongestInThreeByteCharacters_WrittenWhole()
    {
        var text = Capture(() => Log.Access(new string('€', 300), new string('€', 300), new string('€', 300), new string('€', 300), 599, long.MaxValue, 1e12));

        Assert.Matches(new Regex("^\\S+Z €{40}… access €{32}… €{200}… model=€{100}… status=599 bytes=9223372036854775807 ms=1000000000000\\.0\n$"), text);
    }

    [Fact]
    public void Access_SurrogatePairsAtTheCap_WrittenWhole()
    {
        var model = string.Concat(Enumerable.Repeat("😀", 80));
        var text = Capture(() => Log.Access(null, "POST", "/v1/chat/completions", model, 200, 1, 1));

        Assert.Contains(" model=" + string.Concat(Enumerable.Repeat("😀", 50)) + "… status=200 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Info_Message_LevelAndTextAfterTimestamp()
    {
        var text = Capture(() => Log.Info("listening on http://0.0.0.0:5000 → https://api.openai.com/v1/"));

        Assert.Matches(new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info listening on http://0\.0\.0\.0:5000 → https://api\.openai\.com/v1/\n$"), text);
    }

    [Fact]
    public void Error_MessageLongerThanAStackLine_WrittenWhole()
    {
        var message = new string('é', 5000);
        var text = Capture(() => Log.Error(message));

        Assert.EndsWith(" error " + message + "\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Access_ManyLinesAtOnce_WrittenInFewWritesAndInOrder()
    {
        var sink = new CountingStream();
        Log.Configure(sink, debug: false);
        try
        {
            for (var i = 0; i < 2000; i++)
            {
                Log.Access(null, "GET", "/r/" + i, null, 200, i, 0);
            }

            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        var lines = Encoding.UTF8.GetString(sink.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2000, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            Assert.Contains($" GET /r/{i} model=- status=200 bytes={i} ", lines[i], StringComparison.Ordinal);
        }

        // The background writer takes a batch every 10 ms while lines keep coming (a slow machine may need several), never one per line.
        Assert.InRange(sink.Writes, 1, 50);
    }

    [Fact]
    public async Task Pump_LineWithoutFlush_WrittenWithinABatchDelay()
    {
        var sink = new CountingStream();
        Log.Configure(sink, debug: false);
        try
        {
            Log.Info("background");
            var deadline = Environment.TickCount64 + 5000;
            while (sink.Writes == 0 && Environment.TickCount64 < deadline)
            {
                await Task.Delay(5);
            }
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        Assert.EndsWith(" info background\n", Encoding.UTF8.GetString(sink.ToArray()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(0.04, "0.0")]
    [InlineData(0.05, "0.1")]
    [InlineData(12.34, "12.3")]
    [InlineData(1234.96, "1235.0")]
    [InlineData(-1.0, "0.0")]
    public void Tenths_Value_OneDecimalRoundedHalfAway(double value, string expected)
    {
        Span<byte> buffer = stackalloc byte[64];
        var line = new LogLine(buffer);
        line.Tenths(value);

        Assert.Equal(expected, Encoding.ASCII.GetString(line.Written));
    }

    [Fact]
    public void SafeText_OddCharacterAtEveryPositionOfShortAndLongTexts_ReplacedOrEncodedInPlace()
    {
        // Short texts take a char-by-char path, long ones the vectorised one: both must give the same bytes.
        var buffer = new byte[1024];
        foreach (var length in new[] { 1, 7, 8, 17, 63, 64, 65, 100 })
        {
            foreach (var odd in new[] { '\u0001', '\n', '\u007f', '\u0085', 'é' })
            {
                for (var at = 0; at < Math.Min(length, 80); at++)
                {
                    var text = new string('a', at) + odd + new string('b', length - at - 1);
                    var line = new LogLine(buffer);
                    line.SafeText(text, 80);

                    var shown = odd == 'é' ? "é" : "?";
                    var expected = new string('a', at) + shown + new string('b', Math.Min(length, 80) - at - 1) + (length > 80 ? "…" : "");
                    Assert.Equal(expected, Encoding.UTF8.GetString(line.Written));
                }
            }
        }
    }

    [Fact]
    public void Timestamp_UtcTime_Iso8601WithMilliseconds()
    {
        Span<byte> buffer = stackalloc byte[64];
        var line = new LogLine(buffer);
        line.Timestamp(new DateTime(2026, 1, 2, 3, 4, 5, 6, DateTimeKind.Utc));

        Assert.Equal("2026-01-02T03:04:05.006Z ", Encoding.ASCII.GetString(line.Written));
    }

    [Fact]
    public void Timestamp_TimesInSequenceOnOneThread_EachItsOwnText()
    {
        // The thread keeps the last stamp's text and rewrites only what changed: milliseconds within a second, all of it
        // across seconds, minutes, days and years, and back in time.
        DateTime[] times =
        [
            new(2026, 12, 31, 23, 59, 58, 999, DateTimeKind.Utc), new(2026, 12, 31, 23, 59, 58, 999, DateTimeKind.Utc),
            new(2026, 12, 31, 23, 59, 59, 0, DateTimeKind.Utc), new(2026, 12, 31, 23, 59, 59, 7, DateTimeKind.Utc),
            new(2026, 12, 31, 23, 59, 59, 450, DateTimeKind.Utc), new(2027, 1, 1, 0, 0, 0, 1, DateTimeKind.Utc),
            new(2027, 1, 1, 0, 0, 1, 1, DateTimeKind.Utc), new(2027, 1, 1, 0, 1, 1, 1, DateTimeKind.Utc),
            new(2026, 12, 31, 23, 59, 59, 451, DateTimeKind.Utc), new DateTime(2027, 1, 1, 0, 1, 1, 1, DateTimeKind.Utc).AddTicks(9999),
        ];
        Span<byte> buffer = stackalloc byte[64];
        foreach (var time in times)
        {
            var line = new LogLine(buffer);
            line.Timestamp(time);
            Assert.Equal(time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", System.Globalization.CultureInfo.InvariantCulture), Encoding.ASCII.GetString(line.Written));
        }
    }

    [Fact]
    public void LogBuffer_FullBuffer_DropsAndCountsLines()
    {
        var buffer = new LogBuffer(maxBytes: 40);
        Assert.True(buffer.Append("first line of twenty\n"u8));
        Assert.False(buffer.Append("second line of twenty\n"u8));
        Assert.False(buffer.Append("third\n"u8));

        var filled = buffer.Take(new byte[16], out var length, out var dropped);

        Assert.Equal("first line of twenty\nthird\n", Encoding.ASCII.GetString(filled, 0, length));
        Assert.Equal(1, dropped);
        buffer.Take(new byte[16], out length, out dropped);
        Assert.Equal(0, length);
        Assert.Equal(0, dropped);
    }

    [Fact]
    public void LogBuffer_AppendToEmpty_ReportsWakeOnlyOnce()
    {
        var buffer = new LogBuffer();

        Assert.True(buffer.Append("a\n"u8));
        Assert.False(buffer.Append("b\n"u8));
        buffer.Take(new byte[16], out _, out _);
        Assert.True(buffer.Append("c\n"u8));
    }

    [Fact]
    public void LogBuffer_OversizedLineIntoEmptyBuffer_WakesWriterToReportTheDrop()
    {
        var buffer = new LogBuffer(maxBytes: 8);

        Assert.True(buffer.Append("much longer than eight\n"u8));
        Assert.False(buffer.Append("and again, longer\n"u8));
        buffer.Take(new byte[16], out var length, out var dropped);

        Assert.Equal(0, length);
        Assert.Equal(2, dropped);
    }

    [Fact]
    public async Task Pump_SinkThrowsUnexpectedly_LaterLinesStillWritten()
    {
        var good = new CountingStream();
        try
        {
            Log.Configure(new ThrowingStream(), debug: false);
            Log.Info("lost");
            await Task.Delay(200);

            Log.Configure(good, debug: false);
            Log.Info("after the failure");
            var deadline = Environment.TickCount64 + 5000;
            while (good.Writes == 0 && Environment.TickCount64 < deadline)
            {
                await Task.Delay(5);
            }
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        Assert.EndsWith(" info after the failure\n", Encoding.UTF8.GetString(good.ToArray()), StringComparison.Ordinal);
    }

    private static string Capture(Action log)
    {
        var sink = new MemoryStream();
        Log.Configure(sink, debug: false);
        try
        {
            log();
            Log.Flush();
        }
        finally
        {
            Log.Configure(null, debug: false);
        }

        return Encoding.UTF8.GetString(sink.ToArray());
    }

    /// <summary>A sink that fails with an exception the log does not expect from stdout.</summary>
    private sealed class ThrowingStream : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("test sink");

        public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("test sink");
    }

    /// <summary>A memory stream that counts the writes it receives.</summary>
    private sealed class CountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            base.Write(buffer);
        }
    }
}
