using System.Net;
using System.Diagnostics;
using System.Text.RegularExpressions;
using CotProxy.Tests.Support;
using CotProxy.Configuration;
using CotProxy.Tests.Configuration;

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
        Assert.True(ReadmeExample.All().Count >= 13);
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

        // The proxy starts as the README's `dotnet run` line says: its variables and options read by the proxy's own
        // loader (no .env: an empty directory), --demo starting the embedded demo model on a loopback port.
        using var directory = new TempDirectory();
        Assert.True(SettingsLoader.TryLoad(example.Arguments, example.Environment, directory.Path, out ProxySettings settings, out var error), error);
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

/// <summary>
/// One README example: the curl command, the proxy's command line it runs under (the variables before <c>dotnet run</c>
/// and the options after <c>--</c>), and the output shown.
/// </summary>
internal sealed partial record ReadmeExample(string Title, string Command, string ExpectedOutput, string[] Arguments, Dictionary<string, string> Environment)
{
    // Without a `dotnet run` line of its own, an example runs against the proxy the section's introduction starts.
    private static readonly string[] s_demo = ["--demo"];

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
            var arguments = s_demo;
            var environment = new Dictionary<string, string>();
            foreach (var line in body.Split('\n'))
            {
                var run = line.IndexOf("dotnet run --", StringComparison.Ordinal);
                if (run >= 0)
                {
                    foreach (var assignment in line[..run].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var equals = assignment.IndexOf('=', StringComparison.Ordinal);
                        Assert.True(equals > 0, $"README: '{assignment}' before dotnet run is not NAME=value");
                        environment[assignment[..equals]] = assignment[(equals + 1)..];
                    }

                    var options = line[(run + "dotnet run --".Length)..];
                    var comment = options.IndexOf(" #", StringComparison.Ordinal);
                    arguments = (comment >= 0 ? options[..comment] : options).Split(' ', StringSplitOptions.RemoveEmptyEntries);
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
            examples.Add(new ReadmeExample(title, body[curl..].Trim(), blocks[i + 1].Groups[2].Value, arguments, environment));
        }

        return examples;
    }

    /// <summary>The demo's ids, timestamps and loopback ports differ run to run; a line "…" stands for any number of lines.</summary>
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
        text = DemoId().Replace(text, "$1#");
        text = Created().Replace(text, "\"$1\":#");
        text = MadeRequestId().Replace(text, "X-Request-Id: #");
        return LoopbackPort().Replace(text, "127.0.0.1:#");
    }

    [GeneratedRegex("```(\\w*)\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex("X-Request-Id: [0-9a-f]{8}-[0-9]+")]
    private static partial Regex MadeRequestId();

    [GeneratedRegex("(chatcmpl-demo|resp_demo|rs_demo|msg_demo|fc_demo|call_demo|toolu_demo)\\d+")]
    private static partial Regex DemoId();

    [GeneratedRegex("\"(created|created_at)\":\\d+")]
    private static partial Regex Created();

    [GeneratedRegex("127\\.0\\.0\\.1:\\d+")]
    private static partial Regex LoopbackPort();
}
