using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CotProxy.Api;
using CsCheck;

namespace CotProxy.Tests.Api;

/// <summary>
/// The proxy's JSON check with its one-pass scan (<see cref="JsonRequestScan"/>) against the same check with every body
/// read by <c>Utf8JsonReader</c>: the verdict, the model, the error text and code must be the same for generated JSON and
/// near-JSON (bad numbers, literals, escapes and whitespace, mutated bytes, bytes that are not UTF-8, nesting deeper than
/// either limit, byte order marks). And the scan must accept exactly the bodies it is meant to take from the reader, so a
/// scan that silently gave every body to the reader would fail here too. CsCheck puts the seed of a failing sample into
/// the failure message; rerun it with <c>Sample(…, seed: "…")</c>.
/// </summary>
public sealed class JsonRequestScanPropertyTests
{
    private const int Iterations = 20_000;

    private static readonly Gen<string> s_ws = Gen.Frequency(
        (40, Gen.Const(string.Empty)),
        (15, Gen.OneOf(" ", "\n", "\t", "\r\n  ", "  ")),
        (1, Gen.OneOf("\f", "\v", "\u00a0", "\u2028", "\0"))); // whitespace elsewhere, not in JSON

    private static readonly string[] s_goodPieces =
    [
        "a", "model", "hi there", "\\n", "\\\"", "\\\\", "\\/", "\\b\\f\\r\\t", "\\u00e9", "\\u00E9", "\\ud83d\\ude00", "é", "日本",
        "😀", "\u007f", "'", "{", "}", "[", "]", ",", ":", "true", "\\u0000", "The quick brown fox jumps over the lazy dog. ",
    ];

    // Grammatical for the reader but half a character, or not JSON at all: a lone surrogate escape, bad escapes, raw
    // control characters, a backslash at the end.
    private static readonly string[] s_badPieces = ["\\ud800", "\\udc00x", "\\x", "\\u12", "\\u12G4", "\\U0041", "\t", "\u0001", "\n", "\\", "\\'"];

    private static readonly Gen<string> s_string = Gen.Select(
        Gen.OneOf(s_goodPieces).Array[0, 5], Gen.Frequency((40, Gen.Const(string.Empty)), (1, Gen.OneOf(s_badPieces))), Gen.Int[0, 5],
        (pieces, bad, at) => "\"" + string.Concat(pieces.Take(at)) + bad + string.Concat(pieces.Skip(at)) + "\"");

    private static readonly Gen<string> s_number = Gen.Frequency(
        (6, Gen.OneOf("0", "-0", "1", "42", "-17", "0.5", "1.10", "-0.0", "1e3", "1E+2", "-2.5e-3", "2e-0", "12345678901234567890123", "3.141592653589793238462643383279")),
        (2, Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.Double[-1e9, 1e9].Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("01", "-01", "1.", ".5", "-", "+1", "1e", "1E+", "--1", "1.2.3", "0x10", "Infinity", "NaN", "1_000", "1e5.0", "-.5", "00")));

    private static readonly Gen<string> s_literal = Gen.Frequency(
        (15, Gen.OneOf("true", "false", "null")),
        (1, Gen.OneOf("tru", "nul", "True", "NULL", "falsey", "nulll", "t", "fals")));

    private static readonly Gen<string> s_scalar = Gen.Frequency((4, s_string), (3, s_number), (2, s_literal));

    // Names as they stand in the body: the top level's "model" in many spellings, escaped ones among them.
    private static readonly Gen<string> s_name = Gen.Frequency(
        (4, Gen.OneOf("\"model\"", "\"messages\"", "\"a\"", "\"temperature\"", "\"\"", "\"é\"")),
        (1, Gen.OneOf("\"mod\\u0065l\"", "\"Model\"", "\"models\"", "\"mode\"", "\"model \"", "\"m\\\"odel\"", "\"\\ud800\"", "\"model\\u0000\"")),
        (1, s_string));

    private static readonly Gen<string> s_value = Gen.Recursive<string>((depth, self) => depth >= 4
        ? s_scalar
        : Gen.Frequency(
            (5, s_scalar),
            (1, Gen.Select(s_ws, Gen.Select(s_ws, self, s_ws, (a, v, b) => a + v + b).Array[0, 4], (w, items) => "[" + w + string.Join(",", items) + "]")),
            (2, Gen.Select(s_ws, Member(self).Array[0, 5], (w, members) => "{" + w + string.Join(",", members) + "}"))));

    private static readonly Gen<string> s_modelValue = Gen.Frequency(
        (6, Gen.OneOf("\"gpt-4o\"", "\"bench-model\"", "\"\"", "\"qwen3:8b\"", "\"é😀\"", "\"m\\u00e9\"", "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"a\\\"b\"")),
        (1, Gen.OneOf("null", "5", "{}", "[\"m\"]", "{\"model\":\"inner\"}", "true")),
        (1, s_value));

    // A request body as clients send them: an object with a model (perhaps twice, perhaps not a string) and other members.
    private static readonly Gen<string> s_body = Gen.Select(
        Gen.Select(Gen.Frequency((4, Gen.Const("\"model\"")), (1, s_name)), s_ws, s_modelValue, s_ws, (n, a, v, b) => n + a + ":" + b + v).Array[0, 2],
        Member(s_value).Array[0, 5], Gen.Int[0, 10], s_ws, s_ws,
        (models, others, at, before, after) =>
        {
            var members = others.ToList();
            foreach (var model in models)
            {
                members.Insert(Math.Min(at, members.Count), model);
            }

            return before + "{" + string.Join(",", members) + "}" + after;
        });

    // Nesting around the limits: the scan's 64 levels and the reader's 256.
    private static readonly Gen<string> s_deep = Gen.Select(
        Gen.Int[55, 300], Gen.Bool, Gen.Int[0, 2], Gen.Bool,
        (depth, objects, cut, withModel) =>
        {
            var open = string.Concat(Enumerable.Repeat(objects ? "{\"a\":" : "[", depth));
            var close = string.Concat(Enumerable.Repeat(objects ? "}" : "]", depth - cut));
            return withModel ? "{\"model\":\"m\",\"x\":" + open + "1" + close + "}" : open + "1" + close;
        });

    private static readonly byte[][] s_inserted =
    [
        "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(), "\""u8.ToArray(),
        "\\"u8.ToArray(), " "u8.ToArray(), "0"u8.ToArray(), "-"u8.ToArray(), "e"u8.ToArray(), "."u8.ToArray(), "t"u8.ToArray(),
        "/"u8.ToArray(), "/*x*/"u8.ToArray(), "//"u8.ToArray(), [0x00], [0x1F], [0x7F], [0xFF], [0xC3], [0x80], [0xC3, 0xA9],
        [0xED, 0xA0, 0x80], [0xEF, 0xBB, 0xBF], "\"model\":\"x\","u8.ToArray(),
    ];

    // Byte-level damage: none, a byte gone, bytes put in or over one, the end cut off, junk after the value.
    private static readonly Gen<Func<byte[], byte[]>> s_mutation = Gen.Frequency(
        (24, Gen.Const<Func<byte[], byte[]>>(static b => b)),
        (2, Gen.Int[0, int.MaxValue].Select(at => (Func<byte[], byte[]>)(b => b.Length == 0 ? b : [.. b.AsSpan(0, at % b.Length), .. b.AsSpan((at % b.Length) + 1)]))),
        (2, Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, s_inserted.Length - 1], (at, x) => (Func<byte[], byte[]>)(b => [.. b.AsSpan(0, at % (b.Length + 1)), .. s_inserted[x], .. b.AsSpan(at % (b.Length + 1))]))),
        (2, Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, s_inserted.Length - 1], (at, x) => (Func<byte[], byte[]>)(b => b.Length == 0 ? b : [.. b.AsSpan(0, at % b.Length), .. s_inserted[x], .. b.AsSpan((at % b.Length) + 1)]))),
        (1, Gen.Int[0, int.MaxValue].Select(at => (Func<byte[], byte[]>)(b => b.AsSpan(0, at % (b.Length + 1)).ToArray()))),
        (1, Gen.OneOf(" {}", "{}", " x", ",", "\n", " ]", "\0").Select(junk => (Func<byte[], byte[]>)(b => [.. b, .. Encoding.UTF8.GetBytes(junk)]))));

    private static readonly Gen<(string Text, bool Bom, Func<byte[], byte[]> Mutate, int Mutations)> s_cases = Gen.Select(
        Gen.Frequency((12, s_body), (3, Gen.Select(s_ws, s_value, s_ws, (a, v, b) => a + v + b)), (1, s_deep)),
        Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true))),
        s_mutation,
        Gen.Int[1, 3],
        (text, bom, mutate, mutations) => (text, bom, mutate, mutations));

    [Fact]
    public void TryInspect_GeneratedAndMutatedBodies_SameAsReader()
    {
        int scanned = 0, accepted = 0;
        s_cases.Sample(
            c =>
            {
                var body = Body(c);
                AssertSameAsReader(body);
                var bom = body.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
                scanned += JsonRequestScan.TryAccept(body.AsSpan(bom), out _, out _) ? 1 : 0;
                accepted += JsonRequestInspector.TryInspectWithReader(body, out _, out _, out _) ? 1 : 0;
            },
            iter: Iterations,
            threads: 1,
            print: c => $"bom={c.Bom} body={Convert.ToHexString(Body(c))} ({Encoding.UTF8.GetString(Body(c))})");

        // The generator must reach both sides: bodies the scan takes, bodies the reader refuses, and bodies the reader
        // accepts that the scan leaves to it.
        Assert.InRange(scanned, Iterations / 4, accepted - (Iterations / 100));
        Assert.InRange(accepted, 0, Iterations - (Iterations / 4));
    }

    [Theory]
    [InlineData("""{"model":"bench-model","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France?"}],"temperature":0.7,"max_tokens":64}""", "bench-model")]
    [InlineData("""{"model":"a","model":"b"}""", "b")]
    [InlineData("""{"model":"a","model":5}""", "a")]
    [InlineData(""" { "x" : { "model" : "inner" } , "model" : "qwen3:8b" } """, "qwen3:8b")]
    [InlineData("""[{"model":"m"}]""", null)]
    [InlineData("""-0.5e+7""", null)]
    [InlineData("\"\\u12aF\\ud800\"", null)]
    public void TryAccept_CommonBodies_TakenByTheScan(string text, string? model)
    {
        var body = Encoding.UTF8.GetBytes(text);
        Assert.True(JsonRequestScan.TryAccept(body, out var start, out var length));
        Assert.Equal(model, start < 0 ? null : Encoding.UTF8.GetString(body, start, length));
        AssertSameAsReader(body);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("{} {}")]
    [InlineData("[1,]")]
    [InlineData("""{"a":1,}""")]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData("truex")]
    [InlineData("[1}")]
    [InlineData("{\"a\":\"\t\"}")]
    [InlineData("{\"a\":\"\\u12\"}")]
    [InlineData("{\"mod\\u0065l\":\"m\"}")]
    [InlineData("{\"model\":\"\\ud800\"}")]
    [InlineData("{\"model\":\"m\\u00e9\"}")]
    [InlineData("/*c*/{}")]
    public void TryAccept_ErrorsAndEscapesAtTheTop_LeftToTheReader(string text)
    {
        var body = Encoding.UTF8.GetBytes(text);
        Assert.False(JsonRequestScan.TryAccept(body, out _, out _));
        AssertSameAsReader(body);
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(256, false)]
    [InlineData(257, false)]
    public void TryAccept_Nesting_ScanTakesUpToItsLimit(int depth, bool scanned)
    {
        var body = Encoding.UTF8.GetBytes(new string('[', depth) + new string(']', depth));
        Assert.Equal(scanned, JsonRequestScan.TryAccept(body, out _, out _));
        AssertSameAsReader(body);
    }

    private static Gen<string> Member(Gen<string> value) =>
        Gen.Select(s_name, s_ws, s_ws, value, s_ws, (name, a, b, v, c) => name + a + ":" + b + v + c);

    private static byte[] Body((string Text, bool Bom, Func<byte[], byte[]> Mutate, int Mutations) c)
    {
        var body = Encoding.UTF8.GetBytes(c.Text);
        for (int i = 0; i < c.Mutations; i++)
        {
            body = c.Mutate(body);
        }

        return c.Bom ? [0xEF, 0xBB, 0xBF, .. body] : body;
    }

    /// <summary>
    /// The same verdict, model, message and code with the scan as with the reader alone; and the scan takes a body exactly
    /// when the reader accepts it with no escape in a top-level name or in the model, and no nesting deeper than the scan's.
    /// </summary>
    private static void AssertSameAsReader(byte[] body)
    {
        var expected = JsonRequestInspector.TryInspectWithReader(body, out var expectedModel, out var expectedError, out var expectedCode);
        var actual = JsonRequestInspector.TryInspect(body, out var model, out var error, out var code);
        Assert.Equal((expected, expectedModel, expectedError, expectedCode), (actual, model, error, code));

        var bom = body.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        var json = body.AsSpan(bom);
        if (!Utf8.IsValid(json))
        {
            return;
        }

        Assert.Equal(expected && MeantForTheScan(json), JsonRequestScan.TryAccept(json, out _, out _));
    }

    /// <summary>For a body the reader accepts: no top-level name or model escaped, nesting within the scan's limit.</summary>
    private static bool MeantForTheScan(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        bool model = false;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray when reader.CurrentDepth >= JsonRequestScan.MaxDepth:
                    return false;
                case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                    if (reader.ValueIsEscaped)
                    {
                        return false;
                    }

                    model = reader.ValueTextEquals("model"u8);
                    continue;
                case JsonTokenType.String when model && reader.ValueIsEscaped:
                    return false;
            }

            model = false;
        }

        return true;
    }
}
