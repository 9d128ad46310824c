using System.Globalization;
using System.Runtime.InteropServices;

namespace CotProxy.Bench.SlowStreams;

/// <summary>
/// <c>slow-streams serve --port P [--events 20] [--interval-ms 50] [--think 0]</c>: the paced SSE upstream, until SIGTERM.
/// <c>slow-streams load [--streams 1000] [--rounds 3] [--events 20] [--timeout-s 60] [--warmup 20] [--think 0] name=url...</c>:
/// the concurrent-stream client, rounds alternating the order of the targets, one "result" line per round and target.
/// <c>slow-streams client-floor --wrk-script FILE [--connections 32] [--seconds 10] [--warmup-s 1] URL</c>: the wrk
/// script's request in N loops through one shared SocketsHttpHandler, one "floor" line with its CPU per request.
/// <c>--think 1</c>: the upstream puts every event but the last inside a think block, and the client, reading through a
/// proxy that hides it (strip), expects only the last event and <c>data: [DONE]</c> (comments, the keep-alives, are not counted).
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            return Usage();
        }

        var options = new Dictionary<string, int>
        {
            ["--port"] = 0,
            ["--events"] = 20,
            ["--interval-ms"] = 50,
            ["--streams"] = 1000,
            ["--rounds"] = 3,
            ["--timeout-s"] = 60,
            ["--warmup"] = 20,
            ["--connections"] = 32,
            ["--seconds"] = 10,
            ["--warmup-s"] = 1,
            ["--think"] = 0,
        };
        var targets = new List<(string Name, Uri Url)>();
        string? wrkScript = null;
        Uri? floorUrl = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (options.ContainsKey(args[i]) && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value >= 0)
            {
                options[args[i]] = value;
                i++;
            }
            else if (args[i].IndexOf('=', StringComparison.Ordinal) is > 0 and var eq && Uri.TryCreate(args[i][(eq + 1)..], UriKind.Absolute, out var url))
            {
                targets.Add((args[i][..eq], url));
            }
            else if (args[i] == "--wrk-script" && i + 1 < args.Length)
            {
                wrkScript = args[++i];
            }
            else if (floorUrl is null && Uri.TryCreate(args[i], UriKind.Absolute, out var bare))
            {
                floorUrl = bare;
            }
            else
            {
                return Usage();
            }
        }

        return args[0] switch
        {
            "serve" => await ServeAsync(options["--port"], options["--events"], options["--interval-ms"], options["--think"] > 0),
            "load" when targets.Count > 0 => await LoadAsync(targets, options),
            "client-floor" when wrkScript is not null && floorUrl is not null && options["--connections"] > 0 && options["--seconds"] > 0
                => await FloorAsync(wrkScript, floorUrl, options),
            _ => Usage(),
        };
    }

    private static async Task<int> ServeAsync(int port, int events, int intervalMs, bool think)
    {
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var upstream = new SlowUpstream(port, events, intervalMs, think);
        Console.Out.WriteLine($"slow-streams upstream listening on 127.0.0.1:{upstream.Port}: {events} events, {intervalMs} ms apart{(think ? ", all but the last inside a think block" : "")}");
        await upstream.RunAsync(stop.Token);
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static async Task<int> LoadAsync(List<(string Name, Uri Url)> targets, Dictionary<string, int> options)
    {
        var load = new StreamLoad(options["--events"], TimeSpan.FromSeconds(options["--timeout-s"]), options["--think"] > 0);
        foreach (var (name, url) in targets)
        {
            // Warm-up: JIT-compiles the client's paths and checks the target answers before anything is timed.
            var warm = await load.RunAsync(url, options["--warmup"]);
            Console.Out.WriteLine(warm.Format(name, 0));
            if (warm.FirstError is { } error)
            {
                Console.Error.WriteLine($"warm-up against {name} failed: {error}");
            }
        }

        for (var round = 1; round <= options["--rounds"]; round++)
        {
            var order = round % 2 == 1 ? targets : Enumerable.Reverse(targets).ToList();
            foreach (var (name, url) in order)
            {
                var result = await load.RunAsync(url, options["--streams"]);
                Console.Out.WriteLine(result.Format(name, round));
                if (result.FirstError is { } error)
                {
                    Console.Error.WriteLine($"{name} round {round}: {result.Failed} failed, first: {error}");
                }

                // Let closed connections drain (TIME_WAIT, the proxy's bookkeeping) before the next target.
                await Task.Delay(500);
            }
        }

        return 0;
    }

    private static async Task<int> FloorAsync(string wrkScript, Uri url, Dictionary<string, int> options)
    {
        if (!WrkRequest.TryParse(await File.ReadAllTextAsync(wrkScript), out var request, out var error))
        {
            Console.Error.WriteLine(error);
            return 2;
        }

        var floor = new ClientFloor(request, url);
        var result = await floor.RunAsync(options["--connections"], TimeSpan.FromSeconds(options["--warmup-s"]), TimeSpan.FromSeconds(options["--seconds"]));
        Console.Out.WriteLine(result.Format(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1"));
        if (!result.Valid)
        {
            Console.Error.WriteLine($"client-floor: {result.Errors} failed requests, first: {result.FirstError ?? "none"}; the CPU per request is not valid");
            return 1;
        }

        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: slow-streams serve --port P [--events 20] [--interval-ms 50] [--think 0]");
        Console.Error.WriteLine("       slow-streams load [--streams 1000] [--rounds 3] [--events 20] [--timeout-s 60] [--warmup 20] [--think 0] name=url...");
        Console.Error.WriteLine("       slow-streams client-floor --wrk-script FILE [--connections 32] [--seconds 10] [--warmup-s 1] URL");
        Console.Error.WriteLine("           sends the wrk script's request (method, path, headers, body) in N concurrent loops through one");
        Console.Error.WriteLine("           SocketsHttpHandler set up like cot-proxy's, reading every response to its end; after the warm-up");
        Console.Error.WriteLine("           prints \"floor ... requests= rps= user_us= sys_us= errors= valid=\": this process's user and system");
        Console.Error.WriteLine("           CPU microseconds per response. Any failed request makes it invalid (exit 1). Run it as cot-proxy");
        Console.Error.WriteLine("           runs: native AOT, DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1.");
        return 2;
    }
}
