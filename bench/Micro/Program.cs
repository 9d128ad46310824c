using BenchmarkDotNet.Running;

// Pick benchmarks with --filter, a job with --job (see README.md).
var summaries = BenchmarkSwitcher.FromAssembly(typeof(CotProxy.Bench.ThinkTagStripperBenchmarks).Assembly).Run(args);

// A benchmark that failed to build or threw still ends in a summary; the exit code is what CI (.ci/run) reads.
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
