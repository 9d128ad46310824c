using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace CotProxy.Tests.Support;

/// <summary>
/// The real cot-proxy program in a child process (the build's cot-proxy.dll under <c>dotnet</c>), for what only a
/// process shows: signals, exit codes, resource limits. Started in an empty directory with only PATH and the .NET
/// variables set, so no .env file or setting of the caller changes it; its stdout and stderr are collected as lines.
/// </summary>
internal sealed partial class ProxyProcess : IAsyncDisposable
{
    private static readonly Lazy<bool> s_envResetsSignals = new(() =>
    {
        using var probe = Process.Start(new ProcessStartInfo("env", ["--default-signal=QUIT", "true"]) { RedirectStandardError = true })!;
        probe.WaitForExit();
        return probe.ExitCode == 0;
    });

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _directory;

    private ProxyProcess(Process process, string directory)
    {
        _process = process;
        _directory = directory;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Everything the process wrote so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>cot-proxy ARGUMENTS</c> (add <c>--port 0</c>) and waits for its "listening on" line.
    /// <paramref name="maxOpenFiles"/> lowers its descriptor limit (ulimit -n).
    /// </summary>
    public static async Task<ProxyProcess> StartAsync(string[] arguments, IReadOnlyDictionary<string, string>? environment = null, int? maxOpenFiles = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "cot-proxy.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var directory = Directory.CreateTempSubdirectory("cot-proxy-process-").FullName;

        // Signals the test run may have inherited as ignored (a shell's background job ignores SIGINT and SIGQUIT, nohup
        // SIGHUP) are set back to their defaults, as a container or service manager starts the proxy: the runtime keeps a
        // signal that was ignored at start ignored. env(1) has --default-signal since coreutils 8.31.
        var start = new ProcessStartInfo("env") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        if (s_envResetsSignals.Value)
        {
            start.ArgumentList.Add("--default-signal=HUP,INT,QUIT,TERM,USR1,USR2");
        }

        if (maxOpenFiles is { } limit)
        {
            start.ArgumentList.Add("bash");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"ulimit -n {limit} && exec \"$@\"");
            start.ArgumentList.Add("bash");
        }

        start.ArgumentList.Add(dotnet);
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME", "DOTNET_ROOT", "DOTNET_CLI_HOME" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var proxy = new ProxyProcess(Process.Start(start)!, directory);
        try
        {
            var line = await proxy.WaitForLineAsync(ListeningLine(), TimeSpan.FromSeconds(30));
            proxy.EndPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(ListeningLine().Match(line).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for an output line that matches, and returns it; fails with the output so far when none comes in time.</summary>
    public async Task<string> WaitForLineAsync(Regex pattern, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            foreach (var line in Output.Split('\n'))
            {
                if (pattern.IsMatch(line))
                {
                    return line;
                }
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no line matching /{pattern}/ in the proxy's output (exited: {_process.HasExited}):\n{Output}");
    }

    /// <summary>Sends a signal with kill(1): <c>HUP</c>, <c>QUIT</c>, <c>USR1</c>...</summary>
    public async Task SignalAsync(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>The exit code, or null when the process is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Only this child, by its own process object: never by name.
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
    }

    [GeneratedRegex(@"listening on http://[^ ]*:(\d+) ")]
    private static partial Regex ListeningLine();
}
