using BenchmarkDotNet.Running;
using Freshet.Benchmarks;

// dotnet run -c Release --project bench/Freshet.Benchmarks -- [--filter '*' | alloc-check | tile-memory | durability | recovery [tiles]]
return args.FirstOrDefault() switch
{
    "alloc-check" => SteadyStateReport.CheckAllocations(),
    "tile-memory" => SteadyStateReport.TileMemory(),
    "durability" => DurabilityReport.Durability(),
    "recovery" => DurabilityReport.Recovery(args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(IngestBenchmarks).Assembly).Run(args);
    return 0;
}
