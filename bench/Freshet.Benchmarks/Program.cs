using BenchmarkDotNet.Running;
using Freshet.Benchmarks;

// dotnet run -c Release --project bench/Freshet.Benchmarks -- [--filter '*' | alloc-check | tile-memory]
// (The end-to-end figures, durability and recovery among them, are bench/run.sh: bench/Freshet.BenchSuite.)
return args.FirstOrDefault() switch
{
    "alloc-check" => SteadyStateReport.CheckAllocations(),
    "tile-memory" => SteadyStateReport.TileMemory(),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(IngestBenchmarks).Assembly).Run(args);
    return 0;
}
