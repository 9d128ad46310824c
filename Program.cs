using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using CotProxy.Api;
using CotProxy.Configuration;
using CotProxy.Logging;
using CotProxy.Profiles;

namespace CotProxy;

/// <summary>Composition root: settings, then the one upstream handler, the server, and the wait for a stop signal.</summary>
internal static class Program
{
    private const PosixSignal LinuxSigUsr1 = (PosixSignal)10;
    private const PosixSignal LinuxSigUsr2 = (PosixSignal)12;

    public static async Task<int> Main(string[] args)
    {
        // Socket completions run on the epoll thread instead of hopping to the thread pool: fewer context switches per
        // proxied request (the TechEmpower platform entry does the same; A/B in bench/RESULTS.md). Every handler is
        // asynchronous and never blocks, which is what this mode requires. An explicit setting in the environment wins.
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }

        if (!SettingsLoader.TryLoad(args, SettingsLoader.ReadProcessEnvironment(), Environment.CurrentDirectory, out var settings, out var error))
        {
            return Fail(error);
        }

        switch (settings.Command)
        {
            case ProxyCommand.Help:
                Console.Out.Write(SettingsText.Help(Version));
                return 0;
            case ProxyCommand.Version:
                Console.Out.WriteLine("cot-proxy " + Version);
                return 0;
            case ProxyCommand.HealthCheck:
                return await HealthCheckCommand.RunAsync(settings.HealthCheckUrl);
        }

        var warnings = new List<string>(settings.Warnings);
        ProfileSet profiles;
        ResponsePolicy responses;
        try
        {
            (profiles, responses) = ProxyHost.LoadProfiles(settings, warnings);
        }
        catch (Exception ex) when (ex is ProfileParseException or FormatException)
        {
            return Fail(ex.Message);
        }

        if (settings.Command == ProxyCommand.Config)
        {
            Console.Out.Write(SettingsText.Describe(settings));
            foreach (var warning in warnings)
            {
                Console.Out.WriteLine("warning: " + warning);
            }

            Console.Out.WriteLine(profiles.Profiles.Count == 0 ? "model profiles: none" : "model profiles:");
            foreach (var profile in profiles.Profiles)
            {
                Console.Out.WriteLine("  " + profile.Describe());
                Console.Out.WriteLine("    " + responses.Describe(profile));
            }

            return 0;
        }

        return await ServeAsync(args, settings, profiles, responses, warnings);
    }

    private static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static async Task<int> ServeAsync(string[] args, ProxySettings settings, ProfileSet profiles, ResponsePolicy responses, List<string> warnings)
    {
        Log.Configure(Console.OpenStandardOutput(), settings.Debug, settings.LogJson);
        ProxyHost host;
        try
        {
            host = ProxyHost.Start(settings, await ResolveAsync(settings.Host, settings.Port), profiles, responses);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return Fail($"cannot listen on {settings.Host}:{settings.Port}: {ex.SocketErrorCode} (is another process using the port? set PORT or --port)", exitCode: 1);
        }

        // Disposed on the way out: the listener, the demo model and the upstream handler.
        await using var running = host;
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopping = false;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        // SIGQUIT is a graceful stop too, as nginx's. SIGHUP reloads COT_CONFIG and .env, as nginx's reloads its
        // configuration. SIGUSR1 and SIGUSR2 would end the process at once by default: they are logged and otherwise
        // ignored. SIGUSR1/2 have no PosixSignal name; raw signal numbers are allowed on Unix
        // (PosixSignalRegistration.Create's documentation), and 10/12 are their numbers on Linux (signal(7)).
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
        var reloadGate = new Lock();
        ConfigWatcher? watcher = null;
        using var watching = watcher = settings.ConfigFile is null ? null : new ConfigWatcher(s_configPollInterval, path => Reload(path + " changed"));
        watcher?.Track(WatchedFiles(settings));
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Task.Run(() => Reload("SIGHUP received"));
        });
        using var sigusr1 = OperatingSystem.IsLinux() ? PosixSignalRegistration.Create(LinuxSigUsr1, OnIgnoredSignal) : null;
        using var sigusr2 = OperatingSystem.IsLinux() ? PosixSignalRegistration.Create(LinuxSigUsr2, OnIgnoredSignal) : null;

        Log.Info($"cot-proxy {Version} listening on http://{FormatEndPoint(host.LocalEndPoint)} -> {LogRedaction.Url(host.Target)}{(settings.Demo ? " (demo model)" : "")}");
        if (settings.EnableThinkTagFiltering)
        {
            Log.Info("thinking filter on for every model without a profile of its own (ENABLE_THINK_TAG_FILTERING)");
        }

        // Without SERVER_KIND the kind is detected on the first request that needs it, and logged then.
        Log.Info(settings.ServerKind is { } serverKind ? $"upstream server kind: {serverKind} (SERVER_KIND)" : "upstream server kind: asked of the target on the first request that needs it (SERVER_KIND unset)");

        if (settings.EnvFileUsed is { } envFile)
        {
            Log.Info($"settings read from {envFile}");
        }

        if (settings.ConfigFile is { } configFile)
        {
            Log.Info($"config read from {configFile.Path} (reloaded on SIGHUP and when it changes)");
        }

        foreach (var warning in warnings)
        {
            Log.Warn(warning);
        }

        foreach (var profile in profiles.Profiles)
        {
            Log.Info("profile " + profile.Describe() + "; " + responses.Describe(profile));
        }

        await stop.Task;
        Log.Info($"stopping: draining in-flight requests (up to {settings.ShutdownTimeout.TotalSeconds:0.#} s)");
        await host.StopAsync(settings.ShutdownTimeout);

        Log.Info("stopped");
        Log.Flush();
        return 0;

        void OnSignal(PosixSignalContext context)
        {
            // Handled here: the process exits after draining, with code 0, instead of being killed mid-response.
            context.Cancel = true;
            if (stop.TrySetResult())
            {
                Log.Info($"{SignalName(context.Signal)} received");
            }
        }

        // Reads COT_CONFIG and .env again; a configuration that fails its checks is not taken, and the running one stays.
        void Reload(string why)
        {
            try
            {
                lock (reloadGate)
                {
                    if (stopping)
                    {
                        return;
                    }

                    Log.Info($"{why}: reloading the configuration");
                    if (!SettingsLoader.TryLoad(args, SettingsLoader.ReadProcessEnvironment(), Environment.CurrentDirectory, out var next, out var error))
                    {
                        LogReloadFailure(error);
                        return;
                    }

                    var nextWarnings = new List<string>(next.Warnings);
                    var (nextProfiles, nextResponses) = ProxyHost.LoadProfiles(next, nextWarnings);
                    foreach (var change in RestartSettings.Changed(settings, next))
                    {
                        Log.Warn(change);
                    }

                    host.Reload(next, nextProfiles, nextResponses);
                    settings = next;
                    watcher?.Track(WatchedFiles(next));
                    foreach (var warning in nextWarnings)
                    {
                        Log.Warn(warning);
                    }

                    foreach (var profile in nextProfiles.Profiles)
                    {
                        Log.Info("profile " + profile.Describe() + "; " + nextResponses.Describe(profile));
                    }

                    Log.Info($"configuration reloaded: {nextProfiles.Profiles.Count} profile(s), target {LogRedaction.Url(next.Demo ? host.Target : next.TargetBaseUrl)}");
                }
            }
            catch (Exception ex) when (ex is ProfileParseException or FormatException or IOException or UnauthorizedAccessException)
            {
                LogReloadFailure(ex.Message);
            }
        }

        static void LogReloadFailure(string error)
        {
            Log.Warn("reload failed; the running configuration stays:");
            foreach (var line in error.Split('\n'))
            {
                Log.Warn(line.Trim());
            }
        }

        static void OnIgnoredSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            Log.Info($"{SignalName(context.Signal)} received: ignored (SIGTERM, SIGINT or SIGQUIT stop the proxy)");
        }
    }

    /// <summary>How often the config file and .env are compared with what was loaded.</summary>
    private static readonly TimeSpan s_configPollInterval = TimeSpan.FromMilliseconds(500);

    private static IEnumerable<string> WatchedFiles(ProxySettings settings) =>
        new[] { settings.ConfigFile?.Path, settings.EnvFileUsed }.OfType<string>();

    private static string SignalName(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGTERM => "SIGTERM",
        PosixSignal.SIGINT => "SIGINT",
        PosixSignal.SIGQUIT => "SIGQUIT",
        PosixSignal.SIGHUP => "SIGHUP",
        LinuxSigUsr1 => "SIGUSR1",
        LinuxSigUsr2 => "SIGUSR2",
        _ => "signal " + (int)signal,
    };

    private static async Task<IPEndPoint> ResolveAsync(string host, int port)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return new IPEndPoint(address, port);
        }

        var addresses = await Dns.GetHostAddressesAsync(host);
        return new IPEndPoint(addresses.First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6), port);
    }

    private static string FormatEndPoint(IPEndPoint endpoint) =>
        endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : endpoint.ToString();

    private static int Fail(string message, int exitCode = 2)
    {
        Console.Error.WriteLine("cot-proxy: " + message);
        return exitCode;
    }
}
