using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using CotProxy.Http.Server;

namespace CotProxy.Bench;

/// <summary>The request-head parser on the head an OpenAI SDK sends for a chat completion.</summary>
[MemoryDiagnoser]
public class HttpRequestParserBenchmarks
{
    // The headers the openai-python SDK (1.x) sends with POST /v1/chat/completions, key redacted.
    private const string ChatHead =
        "POST /v1/chat/completions HTTP/1.1\r\n" +
        "Host: 127.0.0.1:8080\r\n" +
        "Accept-Encoding: gzip, deflate\r\n" +
        "Connection: keep-alive\r\n" +
        "Accept: application/json\r\n" +
        "Content-Type: application/json\r\n" +
        "User-Agent: OpenAI/Python 1.99.9\r\n" +
        "X-Stainless-Lang: python\r\n" +
        "X-Stainless-Package-Version: 1.99.9\r\n" +
        "X-Stainless-OS: Linux\r\n" +
        "X-Stainless-Arch: x64\r\n" +
        "X-Stainless-Runtime: CPython\r\n" +
        "X-Stainless-Runtime-Version: 3.12.3\r\n" +
        "Authorization: Bearer sk-0000000000000000000000000000000000000000000000\r\n" +
        "X-Stainless-Async: false\r\n" +
        "X-Stainless-Retry-Count: 0\r\n" +
        "X-Stainless-Read-Timeout: 600\r\n" +
        "Content-Length: 187\r\n" +
        "\r\n";

    private readonly HttpRequest _request = new();
    private readonly HttpLimits _limits = new();
    private ReadOnlySequence<byte> _head;

    [GlobalSetup]
    public void Setup() => _head = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(ChatHead));

    /// <summary>Request line and 17 header fields, parsed into a reused request object.</summary>
    [Benchmark]
    public long ParseChatPostHead()
    {
        var reader = new SequenceReader<byte>(_head);
        if (!HttpRequestParser.TryParseHead(ref reader, _request, _limits))
        {
            throw new InvalidOperationException("The head did not parse.");
        }

        return _request.ContentLength;
    }
}
