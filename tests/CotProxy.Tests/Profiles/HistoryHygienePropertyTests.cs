using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using CotProxy.Profiles;
using CsCheck;

namespace CotProxy.Tests.Profiles;

/// <summary>
/// History hygiene on generated conversations: thinking (a marker word) placed in inline blocks anywhere in earlier
/// assistant turns, in their text parts, and in their reasoning fields, the tags sometimes escaped. The forwarded body
/// never shows a marker, and everything else arrives as it was: the answers' text exactly, every other message and field
/// unchanged. With keep_tool_call_reasoning, a tool-call turn keeps its own marker. CsCheck puts the seed of a failing
/// sample into the failure message; rerun it with <c>Sample(…, seed: "…")</c>.
/// </summary>
public sealed class HistoryHygienePropertyTests
{
    private const string Marker = "ZQXMARK";
    private const string KeptMarker = "KEPTMARK";

    private static readonly JsonSerializerOptions s_raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Answer text: no whitespace first (the whitespace after a removed block goes with it), never a whole tag.
    private static readonly string[] s_firstPieces = ["Hello", "é", "😀", "a<b", "x>y", "</thin", "<thi", "think", "\"q\"", "\\", "日本", "1."];
    private static readonly string[] s_pieces = [.. s_firstPieces, " ", "\n", "\t", "  ", "\u2028"];

    private static readonly Gen<string> s_answer =
        Gen.Select(Gen.OneOf(s_firstPieces), Gen.OneOf(s_pieces).Array[0, 4], (first, rest) => first + string.Concat(rest));

    private static readonly Gen<string> s_thought =
        Gen.Select(Gen.OneOf(s_pieces).Array[0, 3], Gen.OneOf(s_pieces).Array[0, 3], (a, b) => string.Concat(a) + Marker + string.Concat(b));

    private static readonly Gen<string> s_separator = Gen.OneOf("", "\n", "\n\n", " ", "\r\n \t");

    /// <summary>One segment of a content: an answer, or a block with the whitespace after it. Text, and the answer part of it.</summary>
    private static readonly Gen<(string Text, string Answer)> s_segment = Gen.Frequency(
        (3, s_answer.Select(a => (a, a))),
        (2, Gen.Select(s_thought, s_separator, (t, s) => ("<think>" + t + "</think>" + s, ""))));

    private static readonly Gen<(string Text, string Answer)> s_content =
        s_segment.Array[0, 4].Select(segments => (string.Concat(segments.Select(s => s.Text)), string.Concat(segments.Select(s => s.Answer))));

    private static readonly Gen<Message> s_message = Gen.Frequency(
        (2, Gen.Select(Gen.OneOf("user", "system", "tool"), s_answer, (role, text) => new Message(role, [(text, text)], false, [], false, false))),
        (3, Gen.Select(s_content.Array[1, 3], Gen.Bool, Gen.OneOf("reasoning_content", "reasoning", "thinking").Array[0, 3], Gen.Bool, Gen.Bool,
            (contents, asParts, fields, toolCalls, escaped) => new Message("assistant", contents, asParts, [.. fields.Distinct()], toolCalls, escaped))));

    private static readonly Gen<(Message[] Messages, bool KeepToolCalls)> s_conversation =
        Gen.Select(s_message.Array[0, 6], s_answer, Gen.Bool, (history, last, keep) => (Messages: (Message[])[.. history, new Message("user", [(last, last)], false, [], false, false)], KeepToolCalls: keep));

    [Fact]
    public void GeneratedHistories_ThinkingNeverForwarded_AnswersKeptExactly()
    {
        s_conversation.Sample(sample =>
        {
            var (messages, keep) = sample;
            string body = Body(messages, keep, expected: false);
            var rule = new HistoryRule([("<think>", "</think>")], startsOpen: false, keepToolCallReasoning: keep);
            byte[] input = Encoding.UTF8.GetBytes(body);
            string output = RequestRewriter.TryRewrite(input, ModelProfile.None, new RequestExtras { History = rule }, null, out var rewritten)
                ? Take(rewritten)
                : body;

            string decoded = JsonNode.Parse(output)!.ToJsonString(s_raw);
            if (decoded.Contains(Marker, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"a thought reached the upstream: {output}");
            }

            var expected = JsonNode.Parse(Body(messages, keep, expected: true));
            if (!JsonNode.DeepEquals(expected, JsonNode.Parse(output)))
            {
                throw new InvalidOperationException($"expected {expected!.ToJsonString(s_raw)}\nbut got {decoded}");
            }
        }, iter: 2000);
    }

    private static string Take(PooledByteBuffer rewritten)
    {
        using (rewritten)
        {
            return Encoding.UTF8.GetString(rewritten.WrittenSpan);
        }
    }

    /// <summary>The request body as a client sends it, or (<paramref name="expected"/>) as the upstream should get it.</summary>
    private static string Body(Message[] messages, bool keep, bool expected)
    {
        var text = new StringBuilder("{\"model\":\"m\",\"messages\":[");
        for (int i = 0; i < messages.Length; i++)
        {
            Message m = messages[i];
            bool kept = keep && m.ToolCalls;
            bool strip = expected && m.Role == "assistant" && !kept;
            var options = m.Escaped ? JsonSerializerOptions.Default : s_raw;
            text.Append(i == 0 ? "" : ",").Append("{\"role\":\"").Append(m.Role).Append('"');
            if (m.AsParts)
            {
                text.Append(",\"content\":[");
                for (int j = 0; j < m.Contents.Length; j++)
                {
                    string part = strip ? m.Contents[j].Answer : Marked(m.Contents[j].Text, kept);
                    text.Append(j == 0 ? "" : ",").Append("{\"type\":\"text\",\"text\":").Append(JsonSerializer.Serialize(part, options)).Append('}');
                }

                text.Append(']');
            }
            else
            {
                string content = strip ? m.Contents[0].Answer : Marked(m.Contents[0].Text, kept);
                text.Append(",\"content\":").Append(JsonSerializer.Serialize(content, options));
            }

            if (!strip)
            {
                foreach (string field in m.Fields)
                {
                    text.Append(",\"").Append(field).Append("\":").Append(JsonSerializer.Serialize(Marked("why " + Marker, kept)));
                }
            }

            if (m.ToolCalls)
            {
                text.Append(""","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]""");
            }

            text.Append('}');
        }

        return text.Append("]}").ToString();
    }

    private static string Marked(string text, bool kept) => kept ? text.Replace(Marker, KeptMarker, StringComparison.Ordinal) : text;

    private sealed record Message(string Role, (string Text, string Answer)[] Contents, bool AsParts, string[] Fields, bool ToolCalls, bool Escaped);
}
