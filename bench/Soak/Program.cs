using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace CotProxy.Bench.Soak;

/// <summary>
/// <c>soak --proxy-port P --proxy-pid PID --upstream-port U --sse FILE [--duration 3600] [--warmup 30] [--settle 30]
/// [--sample-every 10] [--csv FILE] [--json-connections 4] [--stream-connections 8] [--json-pause-ms 20]
/// [--hang-timeout 30] [--self-check]</c>: serves the fake upstream on U, and drives the proxy on P (which forwards to U) with
/// kept-alive JSON requests and SSE streams, filtered and not, with upstream faults and vanishing clients, all at once.
/// After the warm-up the load pauses for the settle time and the proxy's RSS, threads and descriptors are the baseline;
/// after the whole duration and the same settle they are compared with it. Exits 1 when a goal fails, 2 when the
/// reference responses cannot be fetched. <c>--self-check</c> puts a relay that hides cuts (<see cref="CutHidingRelay"/>)
/// between the clients and the proxy, and exits 0 only when the soak counted responses that looked whole but were not.
/// </summary>
internal static class Program
{
    private static readonly RequestKind[] s_jsonKinds = [RequestKind.Json, RequestKind.Json, RequestKind.JsonStrip, RequestKind.JsonSplit];
    private static readonly RequestKind[] s_streamKinds = [RequestKind.Sse, RequestKind.SseStrip, RequestKind.SseSplit];

    public static async Task<int> Main(string[] args)
    {
        var options = new Dictionary<string, int>
        {
            ["--proxy-port"] = 0,
            ["--proxy-pid"] = 0,
            ["--upstream-port"] = 0,
            ["--duration"] = 3600,
            ["--warmup"] = 30,
            // Long enough for the proxy's idle state to be reached: the fake upstream closes idle connections after 5 s
            // and the proxy's pool drops them within about 10 s more (measured); an idle thread-pool worker exits after
            // 20 s (the runtime's PortableThreadPool). With 10 s, the readings held up to 12 pooled connections in
            // CLOSE-WAIT and up to 4 extra workers, however many the last seconds of load left: noise above the +4 goals.
            ["--settle"] = 30,
            ["--sample-every"] = 10,
            ["--json-connections"] = 4,
            ["--stream-connections"] = 8,
            ["--json-pause-ms"] = 20,
            ["--hang-timeout"] = 30,
        };
        string? ssePath = null;
        string? csvPath = null;
        var selfCheck = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (options.ContainsKey(args[i]) && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var value) && value >= 0)
            {
                options[args[i]] = value;
                i++;
            }
            else if (args[i] == "--sse" && i + 1 < args.Length)
            {
                ssePath = args[++i];
            }
            else if (args[i] == "--self-check")
            {
                selfCheck = true;
            }
            else if (args[i] == "--csv" && i + 1 < args.Length)
            {
                csvPath = args[++i];
            }
            else
            {
                return Usage();
            }
        }

        if (ssePath is null || options["--proxy-port"] == 0 || options["--proxy-pid"] == 0 || options["--upstream-port"] == 0
            || options["--duration"] <= options["--warmup"] || options["--sample-every"] == 0)
        {
            return Usage();
        }

        return await RunAsync(options, File.ReadAllBytes(ssePath), csvPath, selfCheck);
    }

    private static async Task<int> RunAsync(Dictionary<string, int> options, byte[] sse, string? csvPath, bool selfCheck)
    {
        var pid = options["--proxy-pid"];
        var proxy = new IPEndPoint(IPAddress.Loopback, options["--proxy-port"]);
        var hangTimeout = TimeSpan.FromSeconds(options["--hang-timeout"]);
        using var stopUpstream = new CancellationTokenSource();
        using var upstream = new SoakUpstream(options["--upstream-port"], sse);
        var upstreamTask = upstream.RunAsync(stopUpstream.Token);
        using var relay = selfCheck ? new CutHidingRelay(proxy) : null;
        var relayTask = relay?.RunAsync(stopUpstream.Token) ?? Task.CompletedTask;
        if (relay is not null)
        {
            Log($"self-check: the clients go through a relay that hides the proxy's cuts ({relay.EndPoint}); the soak must count them");
            proxy = relay.EndPoint;
        }

        var references = await FetchReferencesAsync(proxy, hangTimeout, upstream.SseBody);
        if (references is null)
        {
            return 2;
        }

        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        var phase = "warmup";
        var samples = new List<(double Seconds, string Phase, ProcessSample Sample)>();
        using var csv = csvPath is null ? null : new StreamWriter(csvPath, append: false) { AutoFlush = true };
        csv?.WriteLine("elapsed_s,phase,rss_kb,threads,fds,responses,failures");
        using var stopSampling = new CancellationTokenSource();
        var samplerTask = SampleAsync();

        Log($"warm-up: {options["--warmup"]} s of load");
        await LoadAsync(options["--warmup"]);
        phase = "settle";
        Log($"warm-up done ({tally.Total()} responses); load paused for {options["--settle"]} s");
        await Task.Delay(TimeSpan.FromSeconds(options["--settle"]));
        var baseline = Record("baseline");
        Log($"baseline: RSS {baseline?.Mib} MiB, {baseline?.Threads} threads, {baseline?.Fds} descriptors");

        phase = "load";
        var loadSeconds = options["--duration"] - options["--warmup"];
        Log($"load: {loadSeconds} s");
        await LoadAsync(loadSeconds);
        phase = "settle";
        Log($"load stopped; settling {options["--settle"]} s");
        await Task.Delay(TimeSpan.FromSeconds(options["--settle"]));
        var end = Record("end");
        await stopSampling.CancelAsync();
        await samplerTask;
        await stopUpstream.CancelAsync();
        await upstreamTask;
        await relayTask;

        var failed = Report(options, tally, samples, baseline, end, clock.Elapsed);
        if (!selfCheck)
        {
            return failed ? 1 : 0;
        }

        var caught = tally.Total(Outcome.FailLooksWholeIsNot);
        Console.Out.WriteLine(caught > 0
            ? $"self-check: passed, {caught} responses that looked whole but were not were counted"
            : "self-check: FAILED, the hidden cuts were not counted");
        return caught > 0 ? 0 : 1;

        async Task LoadAsync(int seconds)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var loops = new List<Task>();
            for (var i = 0; i < options["--json-connections"]; i++)
            {
                loops.Add(new ClientLoop(proxy, s_jsonKinds, 0.05, 0.05, options["--json-pause-ms"], references, tally, hangTimeout).RunAsync(stop.Token));
            }

            for (var i = 0; i < options["--stream-connections"]; i++)
            {
                loops.Add(new ClientLoop(proxy, s_streamKinds, 0.15, 0.15, 0, references, tally, hangTimeout).RunAsync(stop.Token));
            }

            await Task.WhenAll(loops);
        }

        ProcessSample? Record(string label)
        {
            var sample = ProcessSample.Read(pid);
            lock (samples)
            {
                if (sample is { } s)
                {
                    samples.Add((clock.Elapsed.TotalSeconds, label, s));
                }

                csv?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{clock.Elapsed.TotalSeconds:F0},{label},{sample?.RssKb},{sample?.Threads},{sample?.Fds},{tally.Total()},{tally.Failures()}"));
            }

            return sample;
        }

        async Task SampleAsync()
        {
            var every = TimeSpan.FromSeconds(options["--sample-every"]);
            var lastLog = TimeSpan.Zero;
            try
            {
                while (true)
                {
                    await Task.Delay(every, stopSampling.Token);
                    var sample = Record(phase);
                    if (clock.Elapsed - lastLog >= TimeSpan.FromSeconds(60))
                    {
                        lastLog = clock.Elapsed;
                        Log($"{phase}: {tally.Total()} responses, {tally.Failures()} failures; RSS {sample?.Mib} MiB, {sample?.Threads} threads, {sample?.Fds} descriptors");
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The run is over.
            }
        }
    }

    /// <summary>Each kind fetched twice through the proxy with no fault: both must be whole and equal, and right for the kind.</summary>
    private static async Task<Dictionary<RequestKind, byte[]>?> FetchReferencesAsync(IPEndPoint proxy, TimeSpan hangTimeout, byte[] sseBody)
    {
        var references = new Dictionary<RequestKind, byte[]>();
        using var exchange = new Exchange(proxy, hangTimeout);
        foreach (var kind in Enum.GetValues<RequestKind>())
        {
            var (first, a) = await exchange.RunAsync(kind, "none", long.MaxValue, false, null);
            var (second, b) = await exchange.RunAsync(kind, "none", long.MaxValue, false, null);
            var text = a is null ? "" : Encoding.UTF8.GetString(a);
            var right = kind switch
            {
                RequestKind.Json => a.AsSpan().SequenceEqual(Bodies.Completion),
                RequestKind.Sse => a.AsSpan().SequenceEqual(sseBody),
                RequestKind.JsonStrip => !text.Contains("thought", StringComparison.Ordinal) && text.Contains("Paris", StringComparison.Ordinal),
                RequestKind.SseStrip => !text.Contains("thought", StringComparison.Ordinal) && text.Contains("answer99", StringComparison.Ordinal) && text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal),
                RequestKind.JsonSplit => text.Contains("\"reasoning_content\"", StringComparison.Ordinal) && text.Contains("thought119", StringComparison.Ordinal),
                RequestKind.SseSplit => text.Contains("\"reasoning_content\"", StringComparison.Ordinal) && text.Contains("answer99", StringComparison.Ordinal) && text.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal),
                _ => false,
            };
            if (first != Outcome.Whole || second != Outcome.Whole || !right || !a.AsSpan().SequenceEqual(b))
            {
                Log($"error: the reference {kind} response is not right (outcomes {first}, {second}; {a?.Length} and {b?.Length} bytes; content as expected: {right})");
                return null;
            }

            references[kind] = a!;
            Log($"reference {kind}: {a!.Length} bytes");
        }

        return references;
    }

    private static bool Report(Dictionary<string, int> options, Tally tally, List<(double Seconds, string Phase, ProcessSample Sample)> samples,
        ProcessSample? baseline, ProcessSample? end, TimeSpan elapsed)
    {
        var load = samples.Where(s => s.Phase == "load").Select(s => s.Sample).ToList();
        var quarter = Math.Max(1, load.Count / 4);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## soak summary ({elapsed.TotalSeconds:F0} s: warm-up {options["--warmup"]} s, load {options["--duration"] - options["--warmup"]} s, settle {options["--settle"]} s twice; {options["--json-connections"]} JSON connections, {options["--stream-connections"]} stream connections)");
        text.AppendLine();
        text.Append(tally.Table());
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Upstream faults injected: {tally.CloseFaults} close (FIN), {tally.ResetFaults} reset (RST). Client vanishings drawn: {tally.VanishPlanned} (some fall after the response's end and count as whole).");
        if (load.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"RSS under load (every {options["--sample-every"]} s, {load.Count} samples): first quarter mean {Mean(load.Take(quarter)):F1} MiB, last quarter mean {Mean(load.Skip(load.Count - quarter)):F1} MiB, max {load.Max(s => s.RssKb) / 1024.0:F1} MiB; threads {load.Min(s => s.Threads)}–{load.Max(s => s.Threads)}; descriptors {load.Min(s => s.Fds)}–{load.Max(s => s.Fds)}.");
        }

        text.AppendLine();
        text.AppendLine("| goal | warm-up (idle) | end (idle) | |");
        text.AppendLine("| --- | ---: | ---: | --- |");
        var failed = false;
        void Goal(string name, string before, string after, bool met)
        {
            failed |= !met;
            text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {before} | {after} | {(met ? "met" : "**NOT met**")} |");
        }

        Goal("proxy alive to the end", baseline is null ? "no" : "yes", end is null ? "no" : "yes", baseline is not null && end is not null);
        if (baseline is { } b && end is { } e)
        {
            Goal("RSS ≤ 2x warm-up", b.Mib + " MiB", e.Mib + " MiB", e.RssKb <= 2 * b.RssKb);
            Goal("threads ≤ warm-up + 4", b.Threads.ToString(CultureInfo.InvariantCulture), e.Threads.ToString(CultureInfo.InvariantCulture), e.Threads <= b.Threads + 4);
            Goal("descriptors ≤ warm-up + 4", b.Fds.ToString(CultureInfo.InvariantCulture), e.Fds.ToString(CultureInfo.InvariantCulture), e.Fds <= b.Fds + 4);
        }

        Goal("every response whole or visibly cut", "", tally.Failures() + " failures", tally.Failures() == 0);
        var cuts = tally.Total(Outcome.CutErrorStatus) + tally.Total(Outcome.CutBeforeStatus) + tally.Total(Outcome.CutMidBody);
        Goal("the load had whole, cut and vanished responses", "", $"{tally.Total(Outcome.Whole)} whole, {cuts} cut, {tally.Total(Outcome.ClientVanished)} vanished",
            tally.Total(Outcome.Whole) > 0 && cuts > 0 && tally.Total(Outcome.ClientVanished) > 0);
        Console.Out.Write(text.ToString());
        Console.Out.WriteLine(failed ? "soak: FAILED" : "soak: all goals met");
        return failed;
    }

    private static double Mean(IEnumerable<ProcessSample> samples) => samples.Average(s => s.RssKb) / 1024.0;

    private static void Log(string message) => Console.Error.WriteLine($"[soak {DateTime.UtcNow:HH:mm:ss}] {message}");

    private static int Usage()
    {
        Console.Error.WriteLine("usage: soak --proxy-port P --proxy-pid PID --upstream-port U --sse FILE [--duration 3600] [--warmup 30] [--settle 30] [--sample-every 10] [--csv FILE] [--json-connections 4] [--stream-connections 8] [--json-pause-ms 20] [--hang-timeout 30] [--self-check]");
        return 2;
    }
}
