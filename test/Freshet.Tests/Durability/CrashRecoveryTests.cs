using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Freshet.Cli.Tests.Durability;

/// <summary>
/// The durability promise end to end: the real <c>freshet serve</c> as a child process takes acknowledged writes from
/// concurrent clients and is killed with SIGKILL over and over, at random moments and in the middle of checkpoints and
/// log rolls (announced by its test fault points); after the last restart an oracle of what every request was told
/// checks that each acknowledged event counts exactly once and that no event counts twice.
/// </summary>
/// <remarks>The oracle is in <c>CrashRecoveryTests.Oracle.cs</c>, the server process and its kills in <c>CrashRecoveryTests.Server.cs</c>.</remarks>
public sealed partial class CrashRecoveryTests(ITestOutputHelper output)
{
    /// <summary>Every random choice of the test derives from this; set <c>FRESHET_CRASH_TEST_SEED</c> to try another.</summary>
    private const int DefaultSeed = 20_261_202;

    private const int Cycles = 27; // 9 kills of each kind.
    private const int Clients = 4;
    private const int FaultPauseMs = 200;
    private const long SegmentBytes = 32 * 1024;
    private const int BatchKeysMax = 1000;

    private const string FeaturesYaml = """
        settings: { clock: event_time, allowed_lateness: 1d, max_future: 1h }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1d] }
          item_amount: { entity: item, events: [view], aggregation: sum, field: amount, windows: [1d] }
        """;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan FaultPointTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan OverloadBackoff = TimeSpan.FromMilliseconds(20);

    private enum KillKind { RandomMoment, Checkpoint, LogRoll }

    private enum Fate { Sending, InDoubt, Acknowledged }

    private enum BatchKind { New, ResendInDoubt, ResendAcknowledged }

    [Fact(Timeout = 420_000)]
    public async Task Serve_SigkilledRepeatedlyDuringIngest_CountsEveryAcknowledgedEventExactlyOnce()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("FRESHET_CRASH_TEST_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : DefaultSeed;
        var random = new Random(seed);
        var elapsed = Stopwatch.StartNew();
        string root = Path.Combine(Path.GetTempPath(), $"freshet-crash-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        string features = Path.Combine(root, "features.yaml");
        await File.WriteAllTextAsync(features, FeaturesYaml);
        var run = new CrashRun(seed, Path.Combine(root, "data"), features);
        var oracle = new IngestOracle();

        // A shuffled, reproducible plan: a third of the kills mid-checkpoint, a third mid-roll, a third at random.
        var plan = Enumerable.Range(0, Cycles).Select(i => (KillKind)(i % 3)).OrderBy(_ => random.Next()).ToArray();
        try
        {
            for (int cycle = 0; cycle < Cycles; cycle++)
            {
                await RunCycleAsync(run, oracle, cycle, plan[cycle], new Random(random.Next()));
            }

            int checkpointKills = run.Kills.Count(k => k.Kind == KillKind.Checkpoint && k.FaultPoint is not null);
            int rollKills = run.Kills.Count(k => k.Kind == KillKind.LogRoll && k.FaultPoint is not null);
            int randomKills = run.Kills.Count(k => k.FaultPoint is null);
            output.WriteLine($"seed {seed}: {run.Kills.Count} kills ({checkpointKills} mid-checkpoint, {rollKills} mid-roll, {randomKills} at a random moment); {oracle.Summary()}");
            foreach (var k in run.Kills)
            {
                output.WriteLine($"  cycle {k.Cycle,2}: {k.Durability,-8} {k.Kind,-12} {k.FaultPoint ?? $"{k.AfterMs} ms after an ack",-22} {k.Acknowledged,5} events acknowledged");
            }

            Assert.True(checkpointKills >= 5 && rollKills >= 5 && randomKills >= 5, run.Context(
                $"too few kills of some kind: {checkpointKills} mid-checkpoint, {rollKills} mid-roll, {randomKills} at a random moment (expected at least 5 each)"));
            Assert.True(oracle.ResentInDoubt > 0, run.Context($"no event in doubt was resent and acknowledged, so dedup across restarts went untested; {oracle.Summary()}"));
            await VerifyAfterCrashesAsync(run, oracle.Snapshot());
            output.WriteLine($"seed {seed}: passed in {elapsed.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            run.Server?.Dispose();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: the temporary directory is left behind.
            }
        }
    }

    /// <summary>Starts the server on the data directory, runs the clients, and kills it as the plan says.</summary>
    private static async Task RunCycleAsync(CrashRun run, IngestOracle oracle, int cycle, KillKind kind, Random random)
    {
        // Both policies must keep everything acknowledged through a process kill, and the directory works with either.
        string durability = cycle % 2 == 0 ? "always" : "interval";
        using var server = run.Start(durability, cycle);
        using var http = NewClient(await server.WaitForListeningAsync(StartTimeout, run));
        long acknowledgedBefore = oracle.Acknowledged;
        using var stop = new CancellationTokenSource();
        var clients = Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => RunClientAsync(http, oracle, new Random(random.Next()), stop.Token)));
        string? faultPoint = null;
        int afterMs = 0;
        // Every kill lands while events flow: not before the first answer (a slow first request on a busy machine), nor
        // at the first checkpoint after recovery.
        await WaitUntilAsync(() => oracle.Acknowledged > acknowledgedBefore, AcknowledgeTimeout,
            () => run.Context($"cycle {cycle}: no event was acknowledged within {AcknowledgeTimeout.TotalSeconds} s of 'Listening on'; {oracle.Summary()}"));
        if (kind == KillKind.RandomMoment)
        {
            // Not a wait for a condition: the random moment is the point of this kind of kill.
            afterMs = random.Next(0, 1000);
            await Task.Delay(afterMs);
            server.Kill();
        }
        else
        {
            // Let the events run for a random while, then kill at the next announced fault point of the chosen kind.
            await Task.Delay(random.Next(100, 700));
            server.KillAt(kind == KillKind.LogRoll ? "fault-point: log-roll"
                : random.Next(2) == 0 ? "fault-point: checkpoint-shard-" : "fault-point: checkpoint-manifest");
            // When the fault point does not come, this counts as a random kill; the end checks each kind had enough.
            if (await Task.WhenAny(server.KilledAtFaultPoint, Task.Delay(FaultPointTimeout)) == server.KilledAtFaultPoint || !server.Kill())
            {
                faultPoint = await server.KilledAtFaultPoint;
            }
        }

        await server.WaitForExitAsync(ExitTimeout, run);
        await stop.CancelAsync();
        await WaitUntilAsync(() => clients.IsCompleted, ExitTimeout, () => run.Context($"cycle {cycle}: the clients did not stop within {ExitTimeout.TotalSeconds} s of the kill"));
        await clients;
        Assert.True(server.ExitCode == 137, run.Context($"cycle {cycle}: freshet exited with {server.ExitCode} before it was killed (SIGKILL is 137)"));
        Assert.True(oracle.Problems.Count == 0, run.Context($"cycle {cycle}: the server's answers contradict the oracle:\n{string.Join('\n', oracle.Problems.Take(20))}"));
        if (faultPoint is not null)
        {
            AssertKilledInside(run, faultPoint, cycle);
        }

        run.Kills.Add(new KillRecord(cycle, kind, durability, faultPoint, afterMs, oracle.Acknowledged - acknowledgedBefore));
    }

    /// <summary>The data directory shows that the kill landed inside the announced window, not after it.</summary>
    private static void AssertKilledInside(CrashRun run, string faultPoint, int cycle)
    {
        if (faultPoint.StartsWith("checkpoint", StringComparison.Ordinal))
        {
            Assert.True(Directory.GetDirectories(Path.Combine(run.DataDirectory, "checkpoints"), "*.tmp").Length > 0,
                run.Context($"cycle {cycle}: killed at '{faultPoint}' but no half-written checkpoint folder is left"));
        }
        else
        {
            // Between closing a full segment and creating the next one, the newest segment is the full one.
            var newest = new DirectoryInfo(Path.Combine(run.DataDirectory, "log")).GetFiles("*.log").MaxBy(f => f.Name, StringComparer.Ordinal);
            Assert.True(newest?.Length >= SegmentBytes,
                run.Context($"cycle {cycle}: killed at '{faultPoint}' but the newest segment {newest?.Name} has {newest?.Length} bytes, not a full one"));
        }
    }

    /// <summary>
    /// After the last kill: every key ever sent against the oracle; then every event resent, each a duplicate exactly
    /// when it is already counted; then all counted once, also after a clean stop (SIGTERM) and restart.
    /// </summary>
    private async Task VerifyAfterCrashesAsync(CrashRun run, List<SentEvent> events)
    {
        Assert.True(events.All(e => e.Fate != Fate.Sending), run.Context("some events are still marked as in flight"));
        using (var server = run.Start("always", Cycles))
        {
            using var http = NewClient(await server.WaitForListeningAsync(StartTimeout, run));
            var found = await AssertCountsAsync(http, events, run, everyEventOnce: false, $"after {Cycles} kills");
            output.WriteLine($"after the last kill: {found.Count(f => f.Views == 1)} of {events.Count} events counted, "
                + $"every one of the {events.Count(e => e.Fate == Fate.Acknowledged)} acknowledged exactly once");

            // A counted event the dedup window forgot would count twice; an uncounted one it remembered would be
            // acknowledged and never counted.
            for (int start = 0; start < events.Count; start += BatchKeysMax)
            {
                var batch = events.Skip(start).Take(BatchKeysMax).ToList();
                int counted = Enumerable.Range(start, batch.Count).Count(i => found[i].Views == 1);
                var answer = await PostAsync(http, batch, CancellationToken.None);
                Assert.True(answer.Status == 200 && answer.Duplicates == counted && answer.Accepted == batch.Count - counted,
                    run.Context($"resending {batch[0].Key}..{batch[^1].Key}: expected 200 with {batch.Count - counted} accepted and {counted} duplicates, got {answer}"));
            }

            await AssertCountsAsync(http, events, run, everyEventOnce: true, "after resending every event");
            await server.TerminateAsync(ExitTimeout, run);
        }

        using (var server = run.Start("interval", Cycles + 1))
        {
            using var http = NewClient(await server.WaitForListeningAsync(StartTimeout, run));
            await AssertCountsAsync(http, events, run, everyEventOnce: true, "after a clean stop and restart");
            await server.TerminateAsync(ExitTimeout, run);
        }
    }

    /// <summary>
    /// Reads every event's key and checks it: counted once (with its amount) when acknowledged or when
    /// <paramref name="everyEventOnce"/>, otherwise at most once; and <c>/v1/stats</c> accepted all counted, no more.
    /// </summary>
    private static async Task<(double Views, double Amount)[]> AssertCountsAsync(HttpClient http, List<SentEvent> events, CrashRun run, bool everyEventOnce, string when)
    {
        var found = await ReadCountsAsync(http, events, run);
        var wrong = new List<string>();
        for (int i = 0; i < events.Count; i++)
        {
            var (e, (views, amount)) = (events[i], found[i]);
            bool once = everyEventOnce || e.Fate == Fate.Acknowledged;
            if (!(views == 1 || (views == 0 && !once)) || amount != views * e.Amount)
            {
                wrong.Add($"{e.Key}: counted {views} times with amount {amount}, expected {(once ? "exactly once" : "at most once")} with amount {e.Amount} "
                    + $"({(e.Fate == Fate.Acknowledged ? "acknowledged" : "never acknowledged")}, sent {e.Sends} times)");
            }
        }

        Assert.True(wrong.Count == 0, run.Context($"{when}: {wrong.Count} of {events.Count} keys are wrong; the first ones:\n{string.Join('\n', wrong.Take(30))}"));
        var stats = await http.GetFromJsonAsync<JsonElement>("v1/stats");
        var storage = stats.GetProperty("storage");
        Assert.True(!storage.TryGetProperty("failure", out var failure) || failure.ValueKind == JsonValueKind.Null, run.Context($"{when}: /v1/stats reports a storage failure: {storage}"));
        long accepted = stats.GetProperty("accepted").GetInt64();
        int counted = found.Count(f => f.Views == 1);
        Assert.True(accepted == counted, run.Context($"{when}: /v1/stats says {accepted} events accepted, but {counted} distinct events are counted"));
        return found;
    }

    /// <summary>The count and amount of every event's key, read with batch vector requests.</summary>
    private static async Task<(double Views, double Amount)[]> ReadCountsAsync(HttpClient http, List<SentEvent> events, CrashRun run)
    {
        var found = new (double, double)[events.Count];
        for (int start = 0; start < events.Count; start += BatchKeysMax)
        {
            var keys = events.Skip(start).Take(BatchKeysMax).Select(e => e.Key).ToArray();
            using var response = await http.PostAsJsonAsync("v1/vectors/item", new { keys, features = new[] { "item_views", "item_amount" }, windows = new[] { "1d" } });
            string text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 200, run.Context($"POST /v1/vectors/item answered {(int)response.StatusCode}: {text}"));
            using var json = JsonDocument.Parse(text);
            var vectors = json.RootElement.GetProperty("vectors");
            Assert.True(vectors.GetArrayLength() == keys.Length, run.Context($"asked {keys.Length} keys, got {vectors.GetArrayLength()} vectors"));
            int i = start;
            foreach (var vector in vectors.EnumerateArray())
            {
                string key = vector.GetProperty("key")[0].GetString()!;
                Assert.True(key == events[i].Key, run.Context($"vector {i - start} of the batch is for {key}, expected {events[i].Key}"));
                var features = vector.GetProperty("features");
                found[i++] = (Value(features, "item_views"), Value(features, "item_amount"));
            }
        }

        return found;

        static double Value(JsonElement features, string name) => features.GetProperty(name).GetProperty("1d").GetProperty("value").GetDouble();
    }

    /// <summary>One client: sends new events, resends events in doubt and (now and then) acknowledged ones, until stopped.</summary>
    private static async Task RunClientAsync(HttpClient http, IngestOracle oracle, Random random, CancellationToken stop)
    {
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            var (kind, batch) = oracle.NextBatch(random);
            var answer = await PostAsync(http, batch, stop);
            oracle.Settle(kind, batch, answer);
            if (answer.Status == 0)
            {
                return; // No answer at all: the server is most likely dead, and new events would only be refused.
            }

            if (answer.Status is 429 or 503)
            {
                // Overloaded (shard queues full while a checkpoint pauses them): back off briefly, as a client should
                // (WhenAny: a delay cut short by the stop ends the wait without throwing).
                await Task.WhenAny(Task.Delay(OverloadBackoff, stop));
            }
        }
    }

    private static async Task<PostAnswer> PostAsync(HttpClient http, List<SentEvent> batch, CancellationToken cancellationToken)
    {
        var body = new StringBuilder();
        foreach (var e in batch)
        {
            body.Append(CultureInfo.InvariantCulture, $"{{\"id\": \"e{e.Number}\", \"type\": \"view\", \"time\": {e.TimeMs}, \"item\": \"{e.Key}\", \"amount\": {e.Amount}}}\n");
        }

        try
        {
            using var response = await http.PostAsync("v1/events", new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson"), cancellationToken);
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            if ((int)response.StatusCode != 200)
            {
                return new PostAnswer((int)response.StatusCode, 0, 0, text);
            }

            using var json = JsonDocument.Parse(text);
            return new PostAnswer(200, json.RootElement.GetProperty("accepted").GetInt32(), json.RootElement.GetProperty("duplicates").GetInt32(), null);
        }
        catch (Exception error) when (error is HttpRequestException or OperationCanceledException or IOException or JsonException)
        {
            // No answer (refused, reset, timed out, cut short): the events are in doubt.
            return new PostAnswer(0, 0, 0, $"{error.GetType().Name}: {error.Message}");
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, failure());
            await Task.Delay(10);
        }
    }

    private static HttpClient NewClient(Uri url) =>
        new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(20) };

    private readonly record struct PostAnswer(int Status, int Accepted, int Duplicates, string? Error);

    private sealed record KillRecord(int Cycle, KillKind Kind, string Durability, string? FaultPoint, int AfterMs, long Acknowledged);
}
