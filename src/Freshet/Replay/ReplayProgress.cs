using System.Diagnostics;
using Spectre.Console;

namespace Freshet.Cli.Replay;

/// <summary>
/// Shows a replay's progress while it runs: a Spectre.Console progress bar (bytes of the file read, or sorted events
/// sent) with events per second when writing to a terminal; a plain line every second otherwise (logs, pipes, tests).
/// </summary>
internal static class ReplayProgress
{
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BarInterval = TimeSpan.FromMilliseconds(100);

    public static Task RunAsync(TextWriter output, ReplayPipeline pipeline, ReplayCounters counters, long fileLength, Func<Task> work)
    {
        bool live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        return live ? RunLiveAsync(output, pipeline, counters, fileLength, work) : RunLinesAsync(output, pipeline, counters, fileLength, work);
    }

    private static async Task RunLinesAsync(TextWriter output, ReplayPipeline pipeline, ReplayCounters counters, long fileLength, Func<Task> work)
    {
        var replay = Task.Run(work);
        var meter = new RateMeter();
        while (await Task.WhenAny(replay, Task.Delay(LineInterval)) != replay)
        {
            var (done, total, what) = Position(pipeline, counters, fileLength);
            output.WriteLine($"{ReplayFormat.Seconds(meter.Elapsed),9}  {what} {ReplayFormat.Percent(done, total),4}  rows {ReplayFormat.Count(counters.RowsRead)}"
                + $"  accepted {ReplayFormat.Count(counters.Accepted)}  rejected {ReplayFormat.Count(counters.Rejected)}"
                + $"  {ReplayFormat.Count(meter.Sample(counters.EventsSent))} events/s");
        }

        await replay;
    }

    private static async Task RunLiveAsync(TextWriter output, ReplayPipeline pipeline, ReplayCounters counters, long fileLength, Func<Task> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("reading", maxValue: Math.Max(fileLength, 1));
                var replay = Task.Run(work);
                var meter = new RateMeter();
                while (true)
                {
                    bool finished = await Task.WhenAny(replay, Task.Delay(BarInterval)) == replay;
                    var (done, total, what) = Position(pipeline, counters, fileLength);
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = finished && replay.IsCompletedSuccessfully ? task.MaxValue : done;
                    task.Description = Markup.Escape($"{what,-8} {ReplayFormat.Count(meter.Sample(counters.EventsSent)),9} events/s  "
                        + $"accepted {ReplayFormat.Count(counters.Accepted)}  rejected {ReplayFormat.Count(counters.Rejected)}");
                    if (finished)
                    {
                        break;
                    }
                }

                await replay;
            });
    }

    /// <summary>How far along the replay is: bytes of the file while reading, sorted events while sending them.</summary>
    private static (long Done, long Total, string What) Position(ReplayPipeline pipeline, ReplayCounters counters, long fileLength) =>
        pipeline.Phase switch
        {
            ReplayPhase.Sorting => (0, 1, "sorting"),
            ReplayPhase.Sending when pipeline.SortBuffer is not null => (pipeline.SortedSent, pipeline.SortTotal, "sending"),
            ReplayPhase.Finishing => (fileLength, fileLength, "finishing"),
            _ => (counters.BytesRead, fileLength, "reading"),
        };

    /// <summary>Events per second over the last sample interval.</summary>
    private sealed class RateMeter
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastAt;
        private long _lastCount;

        public TimeSpan Elapsed => _clock.Elapsed;

        public double Sample(long count)
        {
            var now = _clock.Elapsed;
            double seconds = (now - _lastAt).TotalSeconds;
            double rate = seconds > 0 ? (count - _lastCount) / seconds : 0;
            _lastAt = now;
            _lastCount = count;
            return rate;
        }
    }
}
