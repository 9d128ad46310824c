using System.Globalization;
using System.Text;

namespace CotProxy.Bench.Soak;

/// <summary>The upstream's canned bodies and the clients' request bodies.</summary>
internal static class Bodies
{
    /// <summary>A chat completion whose content starts with a think block (about 3 KB), so a filtering profile has work to do.</summary>
    public static byte[] Completion { get; } = BuildCompletion();

    public static byte[] Request(RequestKind kind)
    {
        var model = kind switch
        {
            RequestKind.JsonStrip or RequestKind.SseStrip => "bench-strip",
            RequestKind.JsonSplit or RequestKind.SseSplit => "bench-split",
            _ => "bench-model",
        };
        var stream = kind is RequestKind.Sse or RequestKind.SseStrip or RequestKind.SseSplit ? "true" : "false";
        return Encoding.UTF8.GetBytes("{\"model\":\"" + model + "\",\"stream\":" + stream
            + ",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"What is the capital of France?\"}],\"temperature\":0.7}");
    }

    public static bool IsStream(RequestKind kind) => kind is RequestKind.Sse or RequestKind.SseStrip or RequestKind.SseSplit;

    private static byte[] BuildCompletion()
    {
        var thought = new StringBuilder();
        for (var i = 0; i < 120; i++)
        {
            thought.Append(" thought").Append(i.ToString(CultureInfo.InvariantCulture));
        }

        var content = "<think>" + thought + "</think>Paris is the capital of France. It has been the country's capital since the 10th century and is its largest city.";
        return Encoding.UTF8.GetBytes("{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
            + content + "\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":147,\"total_tokens\":171}}");
    }
}
