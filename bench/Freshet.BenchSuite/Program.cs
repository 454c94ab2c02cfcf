using System.Diagnostics;
using Freshet.BenchSuite.Peers;
using Freshet.BenchSuite.Scenarios;
using Freshet.BenchSuite.Suite;

// freshet-bench [--quick] [--out DIR] [--only NAME,...]   the suite (bench/run.sh runs it)
// freshet-bench loadgen ...                              the load generator the HTTP scenarios start as a separate process
// freshet-bench memory-child TILES                       builds TILES count tiles in a fresh process and prints its footprint
// freshet-bench unique-strings [--events N] [--rejected N] [--freshet DLL]   RSS of a server fed unique unused strings
// freshet-bench unique-keys [--events N] [--freshet DLL]     RSS and ids.journal of a server fed keys that each appear once
// freshet-bench profile-read SECONDS                     reads 20-feature vectors in a loop, for dotnet-trace or perf
if (args.Length > 0 && args[0] == "loadgen")
{
    return await LoadGenerator.MainAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "unique-strings")
{
    return await UniqueStringsProbe.MainAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "unique-keys")
{
    return await UniqueKeysProbe.MainAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "profile-read")
{
    return ServingScenario.ProfileReads(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
}

if (args.Length > 0 && args[0] == "memory-child")
{
    return MemoryScenario.Child(long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
}

var options = new SuiteOptions
{
    Quick = args.Contains("--quick"),
    OutputDirectory = Value("--out") ?? "bench/results",
    Only = Value("--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [],
};
var clock = Stopwatch.StartNew();
var machine = Machine.Describe();
Console.WriteLine($"Freshet benchmark, {(options.Quick ? "quick" : "full")} run: {options.Runs} runs per figure; {machine}");
string? missingRedis = RedisServer.Unavailable;
using var context = new SuiteContext(options, missingRedis is null ? RedisServer.Start() : null);
if (missingRedis is not null)
{
    context.Notes.Add($"No Redis peer in this run: {missingRedis}.");
}

var allocations = new AllocationScenario();
IScenario[] scenarios =
[
    new IngestScenario(),
    allocations,
    new ServingScenario(),
    new HttpScenario(),
    new MemoryScenario(),
    new DurabilityScenario(),
    new LearningScenario(),
    new ModelHttpScenario(),
];
foreach (var scenario in scenarios.Where(s => options.Includes(s.Name)))
{
    context.Log($"{scenario.Name}…");
    await scenario.RunAsync(context);
}

Report.Write(options, machine, context.Figures, context.Notes, clock.Elapsed);
Console.WriteLine(File.ReadAllText(Path.Combine(options.OutputDirectory, "latest.md")));
Console.WriteLine($"Wrote {Path.Combine(options.OutputDirectory, "latest.md")} and latest.json in {clock.Elapsed.TotalMinutes:0.0} min.");
return allocations.Failed ? 1 : 0; // The one figure that fails a run: allocations per event on the ingest path.

string? Value(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
