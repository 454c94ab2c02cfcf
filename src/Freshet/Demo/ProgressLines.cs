namespace Freshet.Cli.Demo;

/// <summary>The view for logs and pipes: one plain progress line a second, and the feature tables once at the end.</summary>
internal static class ProgressLines
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(TextWriter output, DemoMonitor monitor, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested && monitor.KeepRunning)
        {
            try
            {
                await Task.Delay(Interval, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            output.WriteLine(Line(monitor.Take(withFeatures: false)));
        }
    }

    public static string Line(DemoSnapshot s)
    {
        string queues = string.Join("/", s.Stats.Shards.Select(shard => shard.QueueDepth));
        return $"{DemoFormat.Seconds(s.Elapsed),7}  {DemoFormat.Count(s.EventsPerSecond),11} events/s (average {DemoFormat.Count(s.AverageEventsPerSecond)})"
            + $"  accepted {DemoFormat.Count(s.Stats.Accepted)}  rejected {DemoFormat.Count(s.Stats.Rejected)}  queues {queues}"
            + $"  tiles {DemoFormat.Compact(s.Footprint.Tiles)} ({DemoFormat.Bytes(s.Footprint.TileBytes)})"
            + $"  RSS {DemoFormat.Bytes(s.Footprint.ProcessBytes)} (GC heap {DemoFormat.Bytes(s.Footprint.HeapBytes)})"
            + $"  http {DemoFormat.Count(s.HttpRequests)} requests ({DemoFormat.Count(s.HttpRequestsPerSecond)}/s)"
            + $"  simulated {DemoFormat.SimulatedTime(s.SimulatedNowMs)} UTC"
            + Models(s.Models);
    }

    /// <summary>Each click model's recent log loss beside the constant rate's: the figure that falls as it learns.</summary>
    private static string Models(LearnerProgress? learner) => learner is null ? "" : string.Concat(learner.Models
        .Where(m => m.RecentLogLoss is not null)
        .Select(m => $"  {m.Model.Name} log loss {DemoFormat.Decimal(m.RecentLogLoss!.Value, "0.0000")}"
            + (m.RecentConstantLogLoss is { } c ? $" (constant {DemoFormat.Decimal(c, "0.0000")})" : "")));
}
