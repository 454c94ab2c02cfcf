using Freshet.Benchmarks;
using Freshet.BenchSuite.Suite;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// Steady-state allocations on the ingest path (all threads, after warming past every retention): the figure fails the
/// run when it rises above the limit (per-batch bookkeeping only). Full runs only: the warm-up alone takes a minute.
/// </summary>
internal sealed class AllocationScenario : IScenario
{
    public string Name => "Allocations";

    public bool Failed { get; private set; }

    public Task RunAsync(SuiteContext context)
    {
        if (context.Options.Quick)
        {
            context.Notes.Add("Steady-state allocations are measured by full runs only (or `dotnet run -c Release --project bench/Freshet.Benchmarks -- alloc-check`).");
            return Task.CompletedTask;
        }

        var figure = context.Figure(Name, "bytes allocated per ingested event in steady state (5 features, all threads)", "bytes", Better.Lower,
            target: SteadyStateReport.AllocationLimitBytesPerEvent);
        figure.Samples.Add(SteadyStateReport.MeasureAllocations(line => context.Log("  " + line)));
        Failed = figure.MeetsTarget == false;
        if (Failed)
        {
            context.Notes.Add($"FAILED: steady-state allocations are {figure.Median:F3} bytes an event, over the limit of {SteadyStateReport.AllocationLimitBytesPerEvent}.");
        }

        return Task.CompletedTask;
    }
}
