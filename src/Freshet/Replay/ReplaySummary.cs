namespace Freshet.Cli.Replay;

/// <summary>How a replay went, for the summary.</summary>
internal sealed record ReplayRun(string Path, IReplayTarget Target, ReplayCounters Counters, TimeSpan Elapsed, bool Sorted, bool Stopped,
    string? Failure, string? NotVisible, long EarliestEventMs, LearnerReport? Learners = null);

/// <summary>
/// The end-of-replay summary: rows read, events sent, accepted, duplicates, rejected by reason and where (while reading
/// the file, or by the server or engine), elapsed time and events per second, then the first rejections with their
/// line numbers, and what the target says about itself.
/// </summary>
internal static class ReplaySummary
{
    public static void Write(TextWriter output, ReplayRun run)
    {
        var c = run.Counters;
        string how = run.Failure is not null ? "Replay failed after" : run.Stopped ? "Replay stopped after" : "Replayed";
        output.WriteLine();
        output.WriteLine($"{how} {ReplayFormat.Plural(c.RowsRead, "row", "rows")} of {System.IO.Path.GetFileName(run.Path)} into {run.Target.Description} "
            + $"in {ReplayFormat.Seconds(run.Elapsed)}");
        Row(output, "events sent", $"{ReplayFormat.Count(c.EventsSent)}  ({ReplayFormat.Rate(c.EventsSent, run.Elapsed)})");
        if (c.EventsMapped > c.EventsSent)
        {
            Row(output, "not sent", $"{ReplayFormat.Count(c.EventsMapped - c.EventsSent)}  (read from the file, never answered for)");
        }

        Row(output, "accepted", ReplayFormat.Count(c.Accepted));
        Row(output, "duplicates", c.Duplicates == 0
            ? "0"
            : $"{ReplayFormat.Count(c.Duplicates)}  (ids the server had already seen: retries, or a replay of the same file; counted once)");
        Row(output, "rejected", c.Rejected == 0 ? "0" : $"{ReplayFormat.Count(c.Rejected)}  (rejections alone do not fail a replay)");
        foreach (var (reason, local, count) in c.ByReason())
        {
            string where = local ? "while reading the file" : reason == ReplayCounters.Unlisted ? "by the server, which lists only so many a request" : "by the target";
            output.WriteLine($"    {reason,-18} {ReplayFormat.Count(count),10}  {where}");
        }

        Row(output, run.Target is ServerTarget ? "requests" : "batches",
            c.Retries == 0 ? ReplayFormat.Count(c.Requests) : $"{ReplayFormat.Count(c.Requests)}  ({ReplayFormat.Count(c.Retries)} retried)");
        if (run.Learners is { } learners)
        {
            Row(output, "learners", Learners(learners));
        }

        var first = c.FirstRejections();
        if (first.Count > 0)
        {
            output.WriteLine($"first rejections{(c.Rejected > first.Count ? $" (of {ReplayFormat.Count(c.Rejected)})" : "")}:");
            foreach (var r in first)
            {
                output.WriteLine($"  line {r.Line}: {r.Reason}: {r.Message}");
            }
        }

        long late = c.CountOf("late");
        if (late > 0 && run.Target is ServerTarget { Info: { WallClock: false, NowMs: { } serverNowMs } info }
            && run.EarliestEventMs < serverNowMs - info.AllowedLatenessMs)
        {
            // The usual way here: an event dated now was posted first (as the README's serve example does), then history replayed.
            output.WriteLine($"hint: the server's clock was already at {ReplayFormat.Time(serverNowMs)} when the replay started (its clock is the newest "
                + $"event time it has seen, an event dated now included), so it takes events back to {ReplayFormat.Time(serverNowMs - info.AllowedLatenessMs)} "
                + $"only (allowed lateness {Time.Duration.Format(Math.Max(info.AllowedLatenessMs, 1))}); this file starts at {ReplayFormat.Time(run.EarliestEventMs)}, so "
                + $"{ReplayFormat.Plural(late, "event was", "events were")} rejected as late. History needs a server that has not seen newer events: "
                + "start one on a new data directory and another port (freshet serve --data ./history --url http://127.0.0.1:7701) and replay with "
                + "--server http://127.0.0.1:7701, or replay without --server into --data ./history and serve that directory.");
        }
        else if (late > 0 && !run.Sorted)
        {
            output.WriteLine($"hint: {ReplayFormat.Plural(late, "event was", "events were")} late; if the file is not in time order, --sort sends it in time order");
        }

        if (run.NotVisible is { } notVisible)
        {
            output.WriteLine($"note: the server took the events but could not say they were visible to queries in time: {notVisible}");
        }

        if (run.Failure is null)
        {
            foreach (string line in run.Target.Report())
            {
                output.WriteLine(line);
            }
        }
    }

    /// <summary>What the server's models made of the replay: caught up (and how long that took), or how far behind they are.</summary>
    private static string Learners(LearnerReport r)
    {
        string models = ReplayFormat.Plural(r.Models, "model", "models");
        string state = r.Remaining == 0
            ? r.LagAtEnd == 0
                ? $"{models} had learned every event when the last was answered"
                : $"{models} learned every event {ReplayFormat.Seconds(r.WaitTime)} after the last was answered ({ReplayFormat.Count(r.LagAtEnd)} behind then)"
            : r.Waited
                ? $"{models} still {ReplayFormat.Count(r.Remaining)} events behind after waiting {ReplayFormat.Seconds(r.WaitTime)}: {r.GaveUp}"
                : $"{models} {ReplayFormat.Count(r.Remaining)} events behind when the last was answered (not waited for; GET /v1/models shows learned_through)";
        if (r.Skipped > 0)
        {
            state += $"; {ReplayFormat.Count(r.Skipped)} events skipped by the learner, which fell a whole queue behind";
        }

        return r.WindowsClosed switch
        {
            null => state,
            "closed" => $"{state}; the file's end closed every attribution window, so the figures are final (--keep-windows-open leaves them open)",
            var why => $"{state}; attribution windows {why}",
        };
    }

    private static void Row(TextWriter output, string label, string value) => output.WriteLine($"  {label,-12} {value}");
}
