using BenchmarkDotNet.Running;

// Pick benchmarks with --filter, a job with --job (see README.md).
BenchmarkSwitcher.FromAssembly(typeof(CotProxy.Bench.ThinkTagStripperBenchmarks).Assembly).Run(args);
