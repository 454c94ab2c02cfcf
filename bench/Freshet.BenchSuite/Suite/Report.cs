using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Freshet.BenchSuite.Suite;

/// <summary>Writes the figures as <c>latest.md</c> (a table per scenario, budget lines and Redis ratios) and <c>latest.json</c>.</summary>
internal static class Report
{
    public static void Write(SuiteOptions options, Machine machine, IReadOnlyList<Figure> figures, IReadOnlyList<string> notes, TimeSpan elapsed)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        string stamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Freshet benchmark ({(options.Quick ? "quick" : "full")} run)\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{stamp}, {elapsed.TotalMinutes:0.0} min. Machine: {machine}.\n\n");
        md.Append(CultureInfo.InvariantCulture, $"Each figure is the median of {options.Runs} runs (min–max beside it). The peer is Redis (`redis-server` from Debian) on the same machine, ");
        md.Append("fed the same generated events through StackExchange.Redis with pipelining, as most teams would build it (RoadRunner's and Feast's design: per-entity hourly counters). ");
        md.Append("\"vs peer\" is oriented so that above 1× means Freshet is better.\n\n");
        foreach (var scenario in figures.GroupBy(f => f.Scenario))
        {
            md.Append(CultureInfo.InvariantCulture, $"## {scenario.Key}\n\n");
            md.Append("| figure | Freshet (min–max) | budget | peer (min–max) | vs peer |\n| --- | --- | --- | --- | --- |\n");
            foreach (var f in scenario)
            {
                string range = f.Samples.Count > 1 ? $" ({Figure.Format(f.Samples.Min(), "")}–{Figure.Format(f.Samples.Max(), "")})" : "";
                string budget = f.Target is { } target
                    ? $"{(f.Better == Better.Higher ? "≥" : "≤")} {f.Format(target)} {(f.MeetsTarget == true ? "✓" : $"✗ ({Shortfall(f)})")}"
                    : "";
                string peer = f.PeerMedian is { } p
                    ? f.Format(p) + (f.PeerSamples.Count > 1 ? $" ({Figure.Format(f.PeerSamples.Min(), "")}–{Figure.Format(f.PeerSamples.Max(), "")})" : "")
                    : "";
                string ratio = f.Advantage is { } a ? a.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "";
                md.Append(CultureInfo.InvariantCulture, $"| {f.Name}{(f.Note is null ? "" : $" ({f.Note})")} | **{f.Format(f.Median)}**{range} | {budget} | {peer} | {ratio} |\n");
            }

            md.Append('\n');
        }

        if (notes.Count > 0)
        {
            md.Append("## Notes\n\n");
            foreach (string note in notes)
            {
                md.Append(CultureInfo.InvariantCulture, $"- {note}\n");
            }
        }

        File.WriteAllText(Path.Combine(options.OutputDirectory, "latest.md"), md.ToString());
        var json = new
        {
            run = options.Quick ? "quick" : "full",
            at = stamp,
            elapsed_seconds = Math.Round(elapsed.TotalSeconds, 1),
            machine = new { cores = machine.Cores, memory_bytes = machine.MemoryBytes, cpu = machine.Cpu, os = machine.Os, runtime = machine.Runtime, commit = machine.Commit, dirty = machine.Dirty },
            figures = figures.Select(f => new
            {
                scenario = f.Scenario,
                name = f.Name,
                unit = f.Unit,
                better = f.Better.ToString().ToLowerInvariant(),
                median = Round(f.Median),
                min = f.Samples.Count > 0 ? Round(f.Samples.Min()) : (double?)null,
                max = f.Samples.Count > 0 ? Round(f.Samples.Max()) : (double?)null,
                samples = f.Samples.Select(Round),
                target = f.Target,
                meets_target = f.MeetsTarget,
                peer_median = f.PeerMedian is { } pm ? Round(pm) : (double?)null,
                peer_samples = f.PeerSamples.Select(Round),
                vs_peer = f.Advantage is { } adv ? Math.Round(adv, 3) : (double?)null,
                note = f.Note,
            }),
            notes,
        };
        File.WriteAllText(Path.Combine(options.OutputDirectory, "latest.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
    }

    private static double Round(double value) => double.IsNaN(value) ? 0 : Math.Round(value, 3);

    private static string Shortfall(Figure f)
    {
        double target = f.Target!.Value;
        double ratio = f.Better == Better.Higher ? f.Median / target : target / f.Median;
        return $"{ratio:P0} of it";
    }
}
