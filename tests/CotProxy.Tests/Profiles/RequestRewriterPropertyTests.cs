using System.Text;
using System.Text.Json;
using CotProxy.Api;
using CotProxy.Profiles;
using CsCheck;

namespace CotProxy.Tests.Profiles;

/// <summary>
/// The one-pass <see cref="RequestRewriter"/> against <see cref="TreeRequestRewriterOracle"/> (the tree-based rewrite it
/// replaced) on generated bodies and profiles: nested objects and arrays, escapes and raw UTF-8, numbers in many
/// spellings, whitespace, messages of every role with string, null, missing or part-list content, and profiles of
/// overrides, defaults, removals (nested and on messages/prompt themselves), upstream names and suffixes. CsCheck puts
/// the seed of a failing sample into the failure message; rerun it with <c>Sample(…, seed: "…")</c>.
/// </summary>
public sealed class RequestRewriterPropertyTests
{
    private const int Iterations = 3000;

    // Key spellings as they stand in the body, each with the name it decodes to: escapes must match the profile's keys.
    private static readonly (string Literal, string Name)[] s_keys =
    [
        ("model", "model"), ("\\u006dodel", "model"), ("messages", "messages"), ("prompt", "prompt"), ("temperature", "temperature"),
        ("top_k", "top_k"), ("seed", "seed"), ("stream", "stream"), ("stop", "stop"), ("options", "options"),
        ("num_ctx", "num_ctx"), ("chat_template_kwargs", "chat_template_kwargs"), ("enable_thinking", "enable_thinking"),
        ("kw", "kw"), ("a", "a"), ("b", "b"), ("c", "c"), ("x", "x"), ("deep", "deep"), ("\\u0061", "a"), ("é", "é"),
        ("\\u00e9", "é"), ("role", "role"), ("content", "content"), ("text", "text"), ("type", "type"), ("日本", "日本"),
        ("with space", "with space"), ("q\\\"uote", "q\"uote"),
    ];

    private static readonly string[] s_stringPieces =
    [
        "hi", "Hello world", " ", "/no_think", "\\n\\n/no_think", "\\n", "\\t", "\\r", "\\b", "\\f", "\\\"", "\\\\", "\\/",
        "\\u00e9", "\\u00E9", "\\u0041", "\\u0000", "\\u001f", "\\u2028", "\\ud83d\\ude00", "\\uD83D\\uDE00", "é", "日本語",
        "😀", "\u2028", "≈π", "<b>&amp;</b>", "'", "user", "text", "{", "}", "[", ",", ":",
    ];

    private static readonly string[] s_numbers =
    [
        "0", "-0", "-0.0", "1", "1.10", "0.950", "1e3", "1E+2", "-2.5e-3", "12345678901234567890123", "0.1e-7", "42", "-17",
        "3.141592653589793238462643383279",
    ];

    private static readonly string[] s_whitespace = ["", "", "", " ", "\n  ", "\t", "\r\n"];

    private static readonly Gen<string> s_string =
        Gen.OneOf(s_stringPieces).Array[0, 6].Select(pieces => "\"" + string.Concat(pieces) + "\"");

    private static readonly Gen<string> s_number =
        Gen.OneOf(Gen.OneOf(s_numbers), Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Double[-1e6, 1e6].Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Gen<Json> s_scalar = Gen.OneOf(
        s_string.Select(Json.Raw), s_number.Select(Json.Raw), Gen.OneOf("true", "false", "null").Select(Json.Raw));

    private static readonly Gen<Json> s_value = Gen.Recursive<Json>((depth, self) => depth >= 3
        ? s_scalar
        : Gen.Frequency(
            (4, s_scalar),
            (1, self.Array[0, 4].Select(Json.Array)),
            (2, Gen.Select(Gen.Int[0, s_keys.Length - 1].Array[0, 5], self.Array[5], Json.Object))));

    private static readonly Gen<Json> s_part = Gen.Frequency(
        (5, Gen.Select(Gen.OneOf("\"text\"", "\"te\\u0078t\"", "\"image_url\"", "5", "null", ""), Gen.OneOf(s_string.Select(Json.Raw), Gen.Const(Json.Absent), s_scalar),
            (type, text) => Json.Members(("type", type.Length == 0 ? null : Json.Raw(type)), ("text", text)))),
        (1, Gen.Const(Json.Members(("type", Json.Raw("\"image_url\"")), ("image_url", Json.Members(("url", Json.Raw("\"data:x\""))))))),
        (1, s_scalar));

    private static readonly Gen<Json> s_content = Gen.Frequency(
        (6, s_string.Select(Json.Raw)),
        (1, Gen.Const(Json.Raw("null"))),
        (1, Gen.Const(Json.Absent)),
        (3, s_part.Array[0, 4].Select(Json.Array)),
        (1, s_value));

    private static readonly Gen<Json> s_message = Gen.Frequency(
        (8, Gen.Select(Gen.OneOf("\"user\"", "\"assistant\"", "\"system\"", "\"tool\"", "\"\\u0075ser\"", "\"User\"", "5", ""), s_content, Gen.Bool,
            (role, content, contentFirst) => contentFirst
                ? Json.Members(("content", content), ("role", role.Length == 0 ? null : Json.Raw(role)))
                : Json.Members(("role", role.Length == 0 ? null : Json.Raw(role)), ("content", content), ("name", Json.Raw("\"n\""))))),
        (1, s_scalar));

    private static readonly Gen<Json> s_body = Gen.Select(
        Gen.Frequency((6, s_message.Array[0, 6].Select(Json.Array)), (1, s_value), (2, Gen.Const(Json.Absent))),
        Gen.Frequency((3, s_string.Select(Json.Raw)), (1, s_value), (3, Gen.Const(Json.Absent))),
        Gen.Frequency((3, Gen.OneOf("\"m\"", "\"up\"", "\"u\\u0070\"", "null", "7").Select(Json.Raw)), (1, Gen.Const(Json.Absent))),
        Gen.Select(Gen.Int[0, s_keys.Length - 1].Array[0, 6], s_value.Array[6], Json.Object),
        (messages, prompt, model, rest) =>
        {
            var members = new List<(string Literal, string Name, Json Value)>();
            if (!model.IsAbsent)
            {
                members.Add(("model", "model", model));
            }

            members.AddRange(rest.Entries.Where(e => e.Name is not ("model" or "messages" or "prompt")));
            if (!messages.IsAbsent)
            {
                members.Insert(members.Count / 2, ("messages", "messages", messages));
            }

            if (!prompt.IsAbsent)
            {
                members.Add(("prompt", "prompt", prompt));
            }

            return new Json(string.Empty, members);
        });

    // Keys a profile may hold together (none a prefix of another), each with values its type accepts: the first four are
    // typed by the original's table (numbers, whole numbers, booleans), the others take any JSON or text.
    private static readonly string[] s_profileKeys =
    [
        "temperature", "top_k", "stream", "seed", "stop", "x", "kw", "options.num_ctx", "options.deep.x", "chat_template_kwargs.enable_thinking",
        "a.b.c", "messages", "prompt", "é", "with_underscore", "model_x",
    ];

    private static readonly string[] s_anyValues =
    [
        "0.7", "20", "1.10", "1e3", "true", "false", "null", "hello", "héllo 😀", "[\"\\n\",\"</s>\"]", "{\"a\":1,\"b\":[1,2]}",
        "{\"c\":{\"d\":null}}", "[{\"role\":\"user\",\"content\":\"from the profile\"}]", "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"p\"}]}]",
        "[{\"role\":\"system\",\"content\":\"s\"}]", "[{\"role\":\"user\"}]", "[]", "[1,2]", "text/no_think",
    ];

    private static readonly Gen<(int Key, string Text)> s_entry = Gen.Select(Gen.Int[0, s_profileKeys.Length - 1], Gen.Int[0, 2], Gen.OneOf(s_anyValues), Gen.OneOf("0.7", "1.10", "0", "1e3"), Gen.OneOf("20", "0", "-3"), Gen.OneOf("true", "false"),
        (key, kind, any, number, whole, boolean) =>
        {
            string name = s_profileKeys[key];
            string value = key switch { 0 => number, 1 or 3 => whole, 2 => boolean, _ => any };
            return (key, kind switch { 0 => $"{name}={value}", 1 => $"{name}?={value}", _ => "!" + name });
        });

    private static readonly Gen<string> s_llmParams = Gen.Select(
        s_entry.Array[0, 5],
        Gen.OneOf("", ",upstream_model_name=up", ",upstream_model_name=m"),
        Gen.OneOf("", "", @",append_to_last_user_message=\n\n/no_think", ",append_to_last_user_message=/think", @",append_to_last_user_message= é😀\u0022\\", ",append_to_last_user_message=hi"),
        (entries, upstream, suffix) => "model=m" + string.Concat(entries.DistinctBy(e => e.Key).Select(e => "," + e.Text)) + upstream + suffix);

    private static readonly Gen<(string Body, string LlmParams)> s_cases = Gen.Select(
        Gen.Frequency((40, s_body), (1, s_value)), Gen.Int, Gen.Int[0, 20], s_llmParams,
        (body, whitespaceSeed, duplicate, llmParams) => (body.Render(new Random(whitespaceSeed), duplicate == 0), llmParams));

    [Fact]
    public void Rewrite_GeneratedBodiesAndProfiles_SameAsTreeRewrite()
    {
        s_cases.Sample(c => AssertSameAsOracle(c.Body, c.LlmParams), iter: Iterations, print: c => $"LLM_PARAMS={c.LlmParams}\nbody={c.Body}");
    }

    [Fact]
    public void Rewrite_GeneratedBodyWithLongStrings_SameAsTreeRewrite()
    {
        // Strings longer than the copy's 8 KiB segments, escaped and not, with characters across segment boundaries.
        Gen<string> longText = Gen.Select(Gen.OneOf(s_stringPieces).Array[1, 8], Gen.Int[1000, 4000],
            (pieces, repeat) => string.Concat(Enumerable.Repeat(string.Concat(pieces), repeat)));
        Gen<(string, string)> cases = Gen.Select(longText, Gen.Bool, s_llmParams, (text, parts, llmParams) =>
            (parts
                ? $$"""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"{{text}}"}]}],"x":"{{text}}"}"""
                : $$"""{"model":"m","prompt":"{{text}}","messages":[{"role":"system","content":"{{text}}"},{"role":"user","content":"{{text}}"}]}""",
            llmParams));

        cases.Sample((body, llmParams) => AssertSameAsOracle(body, llmParams), iter: 60, print: c => $"LLM_PARAMS={c.Item2}\nbody length={c.Item1.Length}");
    }

    // Bytes no UTF-8 text holds (a stray continuation, a truncated lead, an overlong form, an encoded surrogate, a code
    // point above U+10FFFF, a lead before ASCII) and escapes of half a surrogate pair.
    private static readonly byte[][] s_hostile =
    [
        [0xFF], [0x80], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xF0, 0x41],
        "\\ud800"u8.ToArray(), "\\uDFFF"u8.ToArray(), "\\uD83D\\u0041"u8.ToArray(), "\\ude00\\ud83d"u8.ToArray(),
    ];

    [Fact]
    public void Rewrite_HostileBytesAtRandomPlaces_ClientErrorOrSameAsTreeNeverChanged()
    {
        Gen<(string Body, string LlmParams, (int Position, int Hostile)[] Insertions)> cases = Gen.Select(
            s_cases, Gen.Select(Gen.Int[0, int.MaxValue], Gen.Int[0, s_hostile.Length - 1]).Array[1, 3],
            (c, insertions) => (c.Body, c.LlmParams, insertions));
        cases.Sample(
            c => AssertHostileBodyHandled(Insert(Encoding.UTF8.GetBytes(c.Body), c.Insertions), c.LlmParams),
            iter: Iterations,
            print: c => $"LLM_PARAMS={c.LlmParams}\nbody={c.Body}\ninsertions={string.Join(", ", c.Insertions.Select(i => $"{Convert.ToHexString(s_hostile[i.Hostile])}@{i.Position}"))}");
    }

    [Fact]
    public void Rewrite_HostileStringInMessage_ClientErrorNamingItsPlace()
    {
        // Inside a string that the rewrite must decode, every hostile sequence is refused, with the byte and the path.
        Gen.Select(Gen.Int[0, s_hostile.Length - 1], Gen.OneOf(s_stringPieces).Array[0, 4], Gen.OneOf(s_stringPieces).Array[0, 4], (h, before, after) => (H: h, Before: string.Concat(before), After: string.Concat(after)))
            .Sample(
                c =>
                {
                    byte[] body = [.. "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"user\",\"content\":\""u8, .. Encoding.UTF8.GetBytes(c.Before), .. s_hostile[c.H], .. Encoding.UTF8.GetBytes(c.After), .. "\"}]}"u8];
                    ModelProfile profile = Assert.Single(ProfileSet.Parse("model=m,temperature=0.5", new List<string>()).Profiles);
                    var error = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, profile));
                    Assert.Contains("at byte offset ", error.Message, StringComparison.Ordinal);
                    Assert.Contains("(in messages[1].content)", error.Message, StringComparison.Ordinal);
                    Assert.False(JsonRequestInspector.TryInspect(body, out _, out _, out _) && s_hostile[c.H][0] != (byte)'\\', "the proxy's JSON check refuses a body that is not UTF-8");
                },
                iter: 500,
                print: c => $"hostile={Convert.ToHexString(s_hostile[c.H])} before={c.Before} after={c.After}");
    }

    private static byte[] Insert(byte[] body, (int Position, int Hostile)[] insertions)
    {
        var bytes = new List<byte>(body);
        foreach (var (position, hostile) in insertions)
        {
            bytes.InsertRange(position % (bytes.Count + 1), s_hostile[hostile]);
        }

        return [.. bytes];
    }

    /// <summary>
    /// What the proxy does with a body, short of the network: its JSON check, then the rewrite. Neither may throw anything
    /// but the rewrite's JsonException (which the proxy answers 400); a body that is not UTF-8 is refused with the offset
    /// of its first bad byte; and a rewrite that succeeds wrote exactly what the tree-based rewrite wrote.
    /// </summary>
    private static void AssertHostileBodyHandled(byte[] body, string llmParams)
    {
        ModelProfile profile;
        try
        {
            profile = Assert.Single(ProfileSet.Parse(llmParams, new List<string>()).Profiles);
        }
        catch (ProfileParseException)
        {
            return;
        }

        int invalid = FirstInvalidUtf8(body);
        if (!JsonRequestInspector.TryInspect(body, out _, out string? error, out _))
        {
            if (invalid >= 0)
            {
                Assert.Contains($"not valid UTF-8 at byte offset {invalid}", error, StringComparison.Ordinal);
            }

            return;
        }

        Assert.Equal(-1, invalid);
        byte[] actual;
        try
        {
            actual = RequestRewriter.Rewrite(body, profile);
        }
        catch (JsonException e)
        {
            Assert.True(e.Message.StartsWith("the request body ", StringComparison.Ordinal) || e.Message.StartsWith("Duplicate property ", StringComparison.Ordinal), e.Message);
            return;
        }

        byte[] expected = TreeRequestRewriterOracle.Rewrite(body, profile);
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(-1, FirstInvalidUtf8(actual));
        Assert.DoesNotContain("\\uFFFD", Encoding.UTF8.GetString(actual), StringComparison.Ordinal);
    }

    /// <summary>The offset of the first byte strict UTF-8 decoding refuses, counted independently of the proxy's code.</summary>
    private static int FirstInvalidUtf8(byte[] bytes)
    {
        for (int i = 0; i < bytes.Length;)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes.AsSpan(i), out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return -1;
    }

    private static void AssertSameAsOracle(string bodyText, string llmParams)
    {
        ModelProfile profile;
        try
        {
            profile = Assert.Single(ProfileSet.Parse(llmParams, new List<string>()).Profiles);
        }
        catch (ProfileParseException)
        {
            return; // the generator paired keys a profile may not hold together ("a.b" and "a.b.c")
        }

        byte[] body = Encoding.UTF8.GetBytes(bodyText);
        var expectedChanges = new List<string>();
        var actualChanges = new List<string>();
        byte[]? expected = null;
        Exception? expectedError = null;
        try
        {
            expected = TreeRequestRewriterOracle.Rewrite(body, profile, expectedChanges);
        }
        catch (JsonException e)
        {
            expectedError = e;
        }

        if (expectedError is not null)
        {
            var actualError = Assert.ThrowsAny<JsonException>(() => RequestRewriter.Rewrite(body, profile, actualChanges));
            Assert.Equal(expectedError.Message, actualError.Message);
            return;
        }

        byte[] actual = RequestRewriter.Rewrite(body, profile, actualChanges);
        using (JsonDocument expectedDocument = JsonDocument.Parse(expected))
        using (JsonDocument actualDocument = JsonDocument.Parse(actual))
        {
            Assert.True(
                JsonElement.DeepEquals(expectedDocument.RootElement, actualDocument.RootElement),
                $"not the same JSON:\nexpected {Encoding.UTF8.GetString(expected!)}\nactual   {Encoding.UTF8.GetString(actual)}");
        }

        // Stronger than the same JSON: the same bytes (property order, escapes, number text), and the same DEBUG lines.
        Assert.Equal(Encoding.UTF8.GetString(expected!), Encoding.UTF8.GetString(actual));
        Assert.Equal(expectedChanges, actualChanges);
    }

    /// <summary>A generated JSON value: literal text, or an object or array rendered with whitespace drawn at render time.</summary>
    private sealed class Json
    {
        public Json(string text, List<(string Literal, string Name, Json Value)>? entries = null, List<Json>? items = null)
        {
            Text = text;
            Entries = entries ?? [];
            Items = items;
        }

        /// <summary>Stands for a member left out of its object.</summary>
        public static Json Absent { get; } = new(string.Empty);

        public string Text { get; }

        public bool IsAbsent => ReferenceEquals(this, Absent);

        public List<(string Literal, string Name, Json Value)> Entries { get; }

        public List<Json>? Items { get; }

        private bool IsObject => Text.Length == 0 && Items is null;

        public static Json Raw(string text) => new(text);

        public static Json Array(Json[] items) => new(string.Empty, null, [.. items]);

        public static Json Object(int[] keys, Json[] values)
        {
            var entries = new List<(string, string, Json)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < keys.Length; i++)
            {
                (string literal, string name) = s_keys[keys[i]];
                if (names.Add(name))
                {
                    entries.Add((literal, name, values[i]));
                }
            }

            return new Json(string.Empty, entries);
        }

        public static Json Members(params (string Name, Json? Value)[] members) =>
            new(string.Empty, [.. members.Where(m => m.Value is { IsAbsent: false }).Select(m => (m.Name, m.Name, m.Value!))]);

        /// <param name="random">Draws the whitespace between tokens.</param>
        /// <param name="duplicate">Repeat the first property of the root object at its end (the rewrite must refuse it).</param>
        public string Render(Random random, bool duplicate)
        {
            var builder = new StringBuilder();
            Write(builder, random, duplicate);
            return builder.ToString();
        }

        private void Write(StringBuilder builder, Random random, bool duplicate)
        {
            if (!IsObject && Items is null)
            {
                builder.Append(Text);
                return;
            }

            bool isObject = IsObject;
            builder.Append(isObject ? '{' : '[').Append(Space(random));
            int count = isObject ? Entries.Count : Items!.Count;
            for (int i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    builder.Append(',').Append(Space(random));
                }

                if (isObject)
                {
                    builder.Append('"').Append(Entries[i].Literal).Append('"').Append(Space(random)).Append(':').Append(Space(random));
                    Entries[i].Value.Write(builder, random, false);
                }
                else
                {
                    Items![i].Write(builder, random, false);
                }

                builder.Append(Space(random));
            }

            if (duplicate && isObject && count > 0)
            {
                builder.Append(",\"").Append(Entries[0].Literal).Append("\":1");
            }

            builder.Append(isObject ? '}' : ']');
        }

        private static string Space(Random random) => s_whitespace[random.Next(s_whitespace.Length)];
    }
}
