using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.RegularExpressions;
using CotProxy.Http.Forwarding;
using CotProxy.Logging;

namespace CotProxy.Tests.Http.Forwarding;

/// <summary>
/// The native-AOT build sets UseSystemResourceKeys, so there an exception's Message is a resource key such as
/// <c>net_http_client_execution_error</c>. These tests build exceptions whose messages are such keys, as the trimmed
/// build's are, and hold every message the proxy makes of them to being sentences of its own, with no key in them.
/// </summary>
public sealed partial class FailureWordsTests
{
    private static readonly Uri s_target = new("http://upstream.test:8080/v1/chat/completions");

    private static readonly UpstreamOptions s_options = new()
    {
        TargetBaseUrl = new Uri("http://upstream.test:8080/v1"),
        ApiRequestTimeout = TimeSpan.FromSeconds(600),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    public static TheoryData<string> Exceptions() => new(s_exceptions.Keys);

    private static readonly Dictionary<string, Exception> s_exceptions = BuildExceptions();

    [Fact]
    public void Describe_EveryForwarderErrorWithEveryException_OwnSentenceNoResourceKey()
    {
        foreach (var error in Enum.GetValues<ForwarderError>())
        {
            foreach (var (name, exception) in s_exceptions)
            {
                var (status, message, code) = new UpstreamFailure(error, s_target, exception, limit: 1024, detail: error == ForwarderError.ResponseBodyUnfilterable ? "The upstream's JSON body could not be read by the thinking filter." : "gzip").Describe(s_options);

                Assert.True(status is 502 or 504, $"{error}/{name}: {status}");
                AssertOwnSentence(message, $"{error}/{name}");
                Assert.StartsWith("upstream_", code, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void FromException_EachKind_OwnSentenceNoResourceKey(string name)
    {
        foreach (var (timedOut, readingBody) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var (_, message, _) = UpstreamFailure.FromException(s_exceptions[name], s_target, timedOut, readingBody).Describe(s_options);

            AssertOwnSentence(message, name);
        }
    }

    [Fact]
    public void Describe_EveryHttpRequestErrorAndSocketError_NamedWithoutResourceKey()
    {
        foreach (var error in Enum.GetValues<HttpRequestError>())
        {
            var text = ExceptionText.Describe(new HttpRequestException(error, "net_http_client_execution_error", new IOException("net_io_readfailure")));
            Assert.DoesNotMatch(ResourceKey(), text);
        }

        foreach (var error in Enum.GetValues<SocketError>())
        {
            var text = ExceptionText.Describe(new HttpRequestException("net_http_client_execution_error", new SocketException((int)error)));
            Assert.DoesNotMatch(ResourceKey(), text);
            Assert.Contains(error.ToString(), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Describe_UnexpectedException_TypeNameOnly()
    {
        Assert.Equal("an unexpected InvalidCastException", ExceptionText.Describe(new InvalidCastException("InvalidCast_FromTo")));
    }

    private static void AssertOwnSentence(string message, string what)
    {
        Assert.DoesNotMatch(ResourceKey(), message);
        Assert.DoesNotContain("net_", message, StringComparison.Ordinal);
        Assert.True(char.IsUpper(message[0]), $"{what}: not a sentence: {message}");
        Assert.True(message.EndsWith('.') || message.EndsWith('?'), $"{what}: not a sentence: {message}");
    }

    private static Dictionary<string, Exception> BuildExceptions()
    {
        var exceptions = new Dictionary<string, Exception>
        {
            ["IOException"] = new IOException("net_io_readfailure"),
            ["HttpIOException"] = new HttpIOException(HttpRequestError.ResponseEnded, "net_http_invalid_response_premature_eof"),
            ["AuthenticationException"] = new HttpRequestException("net_http_ssl_connection_failed", new AuthenticationException("net_auth_SSPI")),
            ["InvalidDataException"] = new InvalidDataException("GenericInvalidData"),
            ["JsonException"] = new JsonException("ExpectedSeparatorAfterPropertyNameNotFound"),
            ["OperationCanceledException"] = new TaskCanceledException("net_http_request_timedout", new TimeoutException("net_timeout")),
            ["HttpRequestException"] = new HttpRequestException("net_http_client_execution_error"),
            ["Other"] = new InvalidOperationException("net_http_operation_started"),
        };
        foreach (var error in Enum.GetValues<HttpRequestError>())
        {
            exceptions[$"HttpRequestError.{error}"] = new HttpRequestException(error, "net_http_client_execution_error");
        }

        foreach (var error in new[] { SocketError.ConnectionRefused, SocketError.ConnectionReset, SocketError.HostNotFound, SocketError.TimedOut, SocketError.NetworkUnreachable, SocketError.AccessDenied })
        {
            exceptions[$"SocketError.{error}"] = new HttpRequestException("net_http_client_execution_error", new SocketException((int)error));
        }

        return exceptions;
    }

    // A runtime resource key: lower-case words joined by underscores (net_http_client_execution_error).
    [GeneratedRegex(@"\b[a-z]+_[a-z_]+\b")]
    private static partial Regex ResourceKey();
}
