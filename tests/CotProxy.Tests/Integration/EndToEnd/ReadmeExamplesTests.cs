using System.Net;
using System.Diagnostics;
using System.Text.RegularExpressions;
using CotProxy.Tests.Support;
using CotProxy.Configuration;
using CotProxy.Demo;

namespace CotProxy.Tests.Integration.EndToEnd;

/// <summary>
/// Runs every curl example of the README against the proxy (in front of the demo model, configured as the README's
/// preceding <c>dotnet run</c> line says) and compares the output with the output block the README shows.
/// </summary>
public partial class ReadmeExamplesTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var example in ReadmeExample.All())
        {
            data.Add(example.Title);
        }

        return data;
    }

    [Fact]
    public void Readme_HasCurlExamples_WithOutputs()
    {
        Assert.True(ReadmeExample.All().Count >= 6);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task ReadmeExample_RunAgainstProxy_OutputAsShown(string title)
    {
        if (!File.Exists("/usr/bin/curl") && !File.Exists("/bin/curl"))
        {
            // Not a silent pass: without curl the README's commands cannot be run as a user would.
            Assert.Fail("curl is not installed; .ci/run installs it (apt-get install curl).");
        }

        var example = ReadmeExample.All().Single(e => e.Title == title);
        await using var demo = new TestServer(new DemoHandler());
        var target = example.Target ?? new Uri($"http://127.0.0.1:{demo.EndPoint.Port}/v1/");
        var settings = new ProxySettings
        {
            TargetBaseUrl = target,
            ApiRequestTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableThinkTagFiltering = example.FilterThinking,
        };
        await using var proxy = ProxyHost.Start(settings, new IPEndPoint(IPAddress.Loopback, 0));

        var command = example.Command.Replace("localhost:5000", $"localhost:{proxy.LocalEndPoint.Port}", StringComparison.Ordinal);
        var output = await RunAsync(command);

        ReadmeExample.AssertMatches(example.ExpectedOutput, output);
    }

    private static async Task<string> RunAsync(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["OPENAI_API_KEY"] = "sk-readme-example";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (await stdout).Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}

/// <summary>One README example: the curl command, the proxy configuration it runs under, and the output shown.</summary>
internal sealed partial record ReadmeExample(string Title, string Command, string ExpectedOutput, bool FilterThinking, Uri? Target)
{
    public static List<ReadmeExample> All()
    {
        var readme = File.ReadAllText(RepositoryFile.PathOf("README.md"));
        var blocks = CodeBlock().Matches(readme);
        var examples = new List<ReadmeExample>();
        for (var i = 0; i < blocks.Count; i++)
        {
            var language = blocks[i].Groups[1].Value;
            var body = blocks[i].Groups[2].Value;
            if (language != "bash")
            {
                continue;
            }

            // A `dotnet run` line in the block says how the proxy runs for the curl command after it; else it runs with --demo.
            var filter = false;
            Uri? target = null;
            foreach (var line in body.Split('\n'))
            {
                if (line.Contains("dotnet run --", StringComparison.Ordinal))
                {
                    filter = line.StartsWith("ENABLE_THINK_TAG_FILTERING=true ", StringComparison.Ordinal);
                    var targetMatch = TargetFlag().Match(line);
                    target = targetMatch.Success ? new Uri(targetMatch.Groups[1].Value) : null;
                }
            }

            var curl = body.IndexOf("curl ", StringComparison.Ordinal);
            if (curl < 0 || i + 1 >= blocks.Count || blocks[i + 1].Groups[1].Value == "bash")
            {
                continue;
            }

            var heading = readme.LastIndexOf("\n### ", blocks[i].Index, StringComparison.Ordinal);
            var title = readme[(heading + 5)..readme.IndexOf('\n', heading + 1)].Trim();
            title += examples.Count(e => e.Title.StartsWith(title, StringComparison.Ordinal)) is var n and > 0 ? $" ({n + 1})" : "";
            examples.Add(new ReadmeExample(title, body[curl..].Trim(), blocks[i + 1].Groups[2].Value, filter, target));
        }

        return examples;
    }

    /// <summary>Ids, timestamps and loopback ports differ run to run; a line "…" stands for any number of lines.</summary>
    public static void AssertMatches(string expected, string actual)
    {
        var want = Normalize(expected).Trim('\n').Split('\n');
        var got = Normalize(actual).Trim('\n').Split('\n');
        var ellipsis = Array.IndexOf(want, "…");
        if (ellipsis < 0)
        {
            Assert.Equal(string.Join('\n', want), string.Join('\n', got));
            return;
        }

        var head = want[..ellipsis];
        var tail = want[(ellipsis + 1)..];
        Assert.True(got.Length >= head.Length + tail.Length, $"Output shorter than the README shows:\n{actual}");
        Assert.Equal(string.Join('\n', head), string.Join('\n', got[..head.Length]));
        Assert.Equal(string.Join('\n', tail), string.Join('\n', got[^tail.Length..]));
    }

    private static string Normalize(string text)
    {
        text = CompletionId().Replace(text, "chatcmpl-demo#");
        text = Created().Replace(text, "\"created\":#");
        text = MadeRequestId().Replace(text, "X-Request-Id: #");
        return LoopbackPort().Replace(text, "127.0.0.1:#");
    }

    [GeneratedRegex("```(\\w*)\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex("--target (\\S+)")]
    private static partial Regex TargetFlag();

    [GeneratedRegex("X-Request-Id: [0-9a-f]{8}-[0-9]+")]
    private static partial Regex MadeRequestId();

    [GeneratedRegex("chatcmpl-demo\\d+")]
    private static partial Regex CompletionId();

    [GeneratedRegex("\"created\":\\d+")]
    private static partial Regex Created();

    [GeneratedRegex("127\\.0\\.0\\.1:\\d+")]
    private static partial Regex LoopbackPort();
}
