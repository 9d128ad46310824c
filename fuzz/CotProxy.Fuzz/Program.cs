using CotProxy.Fuzz.Targets;
using SharpFuzz;

// Usage: CotProxy.Fuzz TARGET                      run under afl-fuzz (fuzz/run starts it so)
//        CotProxy.Fuzz TARGET --replay PATH...     run each file (or each file in each folder) once; exit 1 on any failure
var targets = string.Join(", ", FuzzTargets.All.Keys);
if (args.Length == 0 || !FuzzTargets.All.ContainsKey(args[0]) || (args.Length > 1 && (args[1] != "--replay" || args.Length == 2)))
{
    await Console.Error.WriteLineAsync($"usage: CotProxy.Fuzz TARGET [--replay FILE_OR_FOLDER...]; targets: {targets}").ConfigureAwait(false);
    return 2;
}

var target = args[0];
if (args.Length == 1)
{
    Fuzzer.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        FuzzTargets.Run(target, copy.ToArray());
    });
    return 0;
}

var failed = 0;
var files = args.Skip(2).SelectMany<string, string>(path => Directory.Exists(path) ? Directory.GetFiles(path).Order(StringComparer.Ordinal) : [path]);
foreach (var file in files)
{
    try
    {
        FuzzTargets.Run(target, File.ReadAllBytes(file));
        Console.WriteLine($"ok: {file}");
    }
#pragma warning disable CA1031 // Replay reports every failure of the target, whatever it is, and goes on to the next file.
    catch (Exception exception)
#pragma warning restore CA1031
    {
        failed++;
        Console.WriteLine($"FAILED: {file}\n{exception}");
    }
}

return failed == 0 ? 0 : 1;
