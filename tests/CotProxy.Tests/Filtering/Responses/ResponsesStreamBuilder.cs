using System.Text;
using System.Text.Json;
using CotProxy.Filtering;

namespace CotProxy.Tests.Filtering.Responses;

/// <summary>
/// Builds Responses API streams in OpenAI's event shapes (as the recordings in Fixtures show them): reasoning items with
/// reasoning_text or summary deltas, message items with output_text deltas, the response objects around them.
/// </summary>
internal sealed class ResponsesStreamBuilder
{
    private readonly List<string> _events = [];
    private readonly List<string> _output = [];
    private int _sequence;
    private int _index;

    /// <summary>The JSON documents so far.</summary>
    public IReadOnlyList<string> Events => _events;

    public ResponsesStreamBuilder Created()
    {
        Add("response.created", $"\"response\":{Response("in_progress", "")}");
        Add("response.in_progress", $"\"response\":{Response("in_progress", "")}");
        return this;
    }

    /// <summary>A reasoning item whose text streams as reasoning_text deltas (gpt-oss) or as summary deltas (o-series).</summary>
    public ResponsesStreamBuilder Reasoning(IReadOnlyList<string> deltas, bool summary = false)
    {
        string id = "rs_" + _index;
        int index = _index++;
        string text = string.Concat(deltas);
        Add("response.output_item.added", $"\"output_index\":{index},\"item\":{{\"id\":\"{id}\",\"type\":\"reasoning\",\"summary\":[]}}");
        string at = $"\"item_id\":\"{id}\",\"output_index\":{index}";
        if (summary)
        {
            Add("response.reasoning_summary_part.added", $"{at},\"summary_index\":0,\"part\":{{\"type\":\"summary_text\",\"text\":\"\"}}");
            foreach (string delta in deltas)
            {
                Add("response.reasoning_summary_text.delta", $"{at},\"summary_index\":0,\"delta\":{Quote(delta)}");
            }

            Add("response.reasoning_summary_text.done", $"{at},\"summary_index\":0,\"text\":{Quote(text)}");
            Add("response.reasoning_summary_part.done", $"{at},\"summary_index\":0,\"part\":{{\"type\":\"summary_text\",\"text\":{Quote(text)}}}");
            string item = $"{{\"id\":\"{id}\",\"type\":\"reasoning\",\"summary\":[{{\"type\":\"summary_text\",\"text\":{Quote(text)}}}]}}";
            Add("response.output_item.done", $"\"output_index\":{index},\"item\":{item}");
            _output.Add(item);
        }
        else
        {
            Add("response.content_part.added", $"{at},\"content_index\":0,\"part\":{{\"type\":\"reasoning_text\",\"text\":\"\"}}");
            foreach (string delta in deltas)
            {
                Add("response.reasoning_text.delta", $"{at},\"content_index\":0,\"delta\":{Quote(delta)}");
            }

            Add("response.reasoning_text.done", $"{at},\"content_index\":0,\"text\":{Quote(text)}");
            Add("response.content_part.done", $"{at},\"content_index\":0,\"part\":{{\"type\":\"reasoning_text\",\"text\":{Quote(text)}}}");
            string item = $"{{\"id\":\"{id}\",\"type\":\"reasoning\",\"summary\":[],\"content\":[{{\"type\":\"reasoning_text\",\"text\":{Quote(text)}}}]}}";
            Add("response.output_item.done", $"\"output_index\":{index},\"item\":{item}");
            _output.Add(item);
        }

        return this;
    }

    /// <summary>A message whose output_text streams as <paramref name="deltas"/>, each with a logprobs entry when asked.</summary>
    public ResponsesStreamBuilder Message(IReadOnlyList<string> deltas, bool logprobs = false, bool escapeTags = false)
    {
        string id = "msg_" + _index;
        int index = _index++;
        string text = string.Concat(deltas);
        string at = $"\"item_id\":\"{id}\",\"output_index\":{index},\"content_index\":0";
        Add("response.output_item.added", $"\"output_index\":{index},\"item\":{{\"id\":\"{id}\",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}}");
        Add("response.content_part.added", $"{at},\"part\":{{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":\"\"}}");
        foreach (string delta in deltas)
        {
            string probs = logprobs ? $"[{{\"token\":{Quote(delta)},\"logprob\":-0.5,\"top_logprobs\":[]}}]" : "[]";
            Add("response.output_text.delta", $"{at},\"delta\":{Quote(delta, escapeTags)},\"logprobs\":{probs}");
        }

        Add("response.output_text.done", $"{at},\"text\":{Quote(text, escapeTags)},\"logprobs\":[]");
        string part = $"{{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":{Quote(text, escapeTags)}}}";
        Add("response.content_part.done", $"{at},\"part\":{part}");
        string item = $"{{\"id\":\"{id}\",\"type\":\"message\",\"status\":\"completed\",\"content\":[{part}],\"role\":\"assistant\"}}";
        Add("response.output_item.done", $"\"output_index\":{index},\"item\":{item}");
        _output.Add(item);
        return this;
    }

    /// <summary>A function_call item whose arguments stream as one delta (OpenAI's function calling guide's event shapes).</summary>
    public ResponsesStreamBuilder FunctionCall(string arguments)
    {
        string id = "fc_" + _index;
        int index = _index++;
        Add("response.output_item.added", $"\"output_index\":{index},\"item\":{{\"id\":\"{id}\",\"type\":\"function_call\",\"status\":\"in_progress\",\"call_id\":\"call_1\",\"name\":\"f\",\"arguments\":\"\"}}");
        Add("response.function_call_arguments.delta", $"\"item_id\":\"{id}\",\"output_index\":{index},\"delta\":{Quote(arguments)}");
        Add("response.function_call_arguments.done", $"\"item_id\":\"{id}\",\"output_index\":{index},\"arguments\":{Quote(arguments)}");
        string item = $"{{\"id\":\"{id}\",\"type\":\"function_call\",\"status\":\"completed\",\"call_id\":\"call_1\",\"name\":\"f\",\"arguments\":{Quote(arguments)}}}";
        Add("response.output_item.done", $"\"output_index\":{index},\"item\":{item}");
        _output.Add(item);
        return this;
    }

    public ResponsesStreamBuilder Completed()
    {
        Add("response.completed", $"\"response\":{Response("completed", string.Join(",", _output))}");
        return this;
    }

    /// <summary>The whole response as a non-streamed body.</summary>
    public string Body() => Response("completed", string.Join(",", _output));

    /// <summary>The events framed: SSE with event lines, SSE data only, or NDJSON.</summary>
    public byte[] Frame(ResponseFraming framing, bool eventLines = true)
    {
        var builder = new StringBuilder();
        foreach (string json in _events)
        {
            if (framing == ResponseFraming.Ndjson)
            {
                builder.Append(json).Append('\n');
                continue;
            }

            if (eventLines)
            {
                builder.Append("event: ").Append(JsonDocument.Parse(json).RootElement.GetProperty("type").GetString()).Append('\n');
            }

            builder.Append("data: ").Append(json).Append("\n\n");
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>Adds a document as it is (junk, an unknown type).</summary>
    public ResponsesStreamBuilder Raw(string json)
    {
        _events.Add(json);
        return this;
    }

    /// <summary>A JSON string literal; <paramref name="escapeTags"/> writes '&lt;' as \\u003c, as some servers do.</summary>
    public static string Quote(string text, bool escapeTags = false)
    {
        var builder = new StringBuilder("\"");
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '<' when escapeTags => "\\u003c",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }

    private static string Response(string status, string output) =>
        $"{{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"{status}\",\"model\":\"m\",\"output\":[{output}],\"reasoning\":{{\"effort\":\"high\"}},\"usage\":null}}";

    private void Add(string type, string rest) => _events.Add($"{{\"type\":\"{type}\",\"sequence_number\":{_sequence++},{rest}}}");
}
