using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Freshet.Cli.Tests.Replay;

namespace Freshet.Cli.Tests.Durability;

/// <summary>
/// The short crash-and-corruption run: three SIGKILLs of the real server under acknowledged load (every acknowledged
/// event then counts exactly once), then a flipped byte in the middle of the newest segment, past the last
/// checkpoint. <c>freshet check</c> and the server refuse it naming the file; <c>serve --salvage-log</c> starts and
/// reports exactly the events it could not keep — the only acknowledged events missing afterwards.
/// </summary>
public sealed partial class CrashRecoveryTests
{
    [Fact(Timeout = 180_000)]
    public async Task Serve_DamageMidNewestSegmentAfterKills_IsRefusedNamingTheFileAndSalvageLosesExactlyWhatItReports()
    {
        var random = new Random(DefaultSeed + 1);
        string root = Path.Combine(Path.GetTempPath(), $"freshet-corrupt-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        string features = Path.Combine(root, "features.yaml");
        await File.WriteAllTextAsync(features, FeaturesYaml);
        var run = new CrashRun(DefaultSeed + 1, Path.Combine(root, "data"), features);
        var oracle = new IngestOracle();
        try
        {
            await RunCycleAsync(run, oracle, 0, KillKind.RandomMoment, new Random(random.Next()));
            await RunCycleAsync(run, oracle, 1, KillKind.LogRoll, new Random(random.Next()));

            // The third run checkpoints only at a clean stop and has room in its segment: after its batches, acknowledged one
            // at a time, and its kill, the newest segment ends in records (one per batch) that no checkpoint covers.
            string[] args = ["serve", "--data", run.DataDirectory, "--url", "http://127.0.0.1:0", "--features", features, "--shards", "2",
                "--durability", "always", "--checkpoint-interval", "0", "--segment-size", "64MiB"];
            var sequential = new List<SentEvent>();
            using (var server = ServerProcess.Start(2, args))
            {
                using var http = NewClient(await server.WaitForListeningAsync(StartTimeout, run));
                await AssertCountsAsync(http, oracle.Snapshot(), run, everyEventOnce: false, "after two kills");
                for (int i = 0; i < 10; i++)
                {
                    var batch = oracle.NewBatch(20, random);
                    var answer = await PostAsync(http, batch, CancellationToken.None);
                    Assert.True(answer.Status == 200, run.Context($"batch {i} of the third run: {answer}"));
                    oracle.Settle(BatchKind.New, batch, answer);
                    sequential.AddRange(batch);
                }

                server.Kill();
                await server.WaitForExitAsync(ExitTimeout, run);
            }

            string segment = Directory.GetFiles(Path.Combine(run.DataDirectory, "log"), "*.log").Max(StringComparer.Ordinal)!;
            var records = RecordStarts(segment);
            Assert.True(records.Count >= 10, run.Context($"{segment} holds {records.Count} records; the third run's 10 batches should be among them"));
            FlipByte(segment, records[^5] + 60);

            var check = await ReplayFiles.RunAsync("check", run.DataDirectory);
            Assert.True(check.ExitCode == 4, check.Output);
            Assert.Contains($"log/{Path.GetFileName(segment)}", check.Output, StringComparison.Ordinal);
            Assert.Contains("--salvage-log", check.Output, StringComparison.Ordinal);

            using (var refused = ServerProcess.Start(3, args))
            {
                await refused.WaitForExitAsync(StartTimeout, run);
                string said = string.Join('\n', refused.Lines);
                Assert.True(refused.ExitCode == 4, run.Context($"the server started on a damaged segment (exit {refused.ExitCode}):\n{said}"));
                Assert.Contains($"{segment} is damaged at byte", said, StringComparison.Ordinal);
            }

            using (var salvaging = ServerProcess.Start(4, [.. args, "--salvage-log"]))
            {
                using var http = NewClient(await salvaging.WaitForListeningAsync(StartTimeout, run));
                string cut = salvaging.Lines.First(l => l.Contains("salvage: cut bytes", StringComparison.Ordinal));
                long lost = long.Parse(Regex.Match(cut, @"\): ([\d,]+) events lost").Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                Assert.Single(Directory.GetFiles(Path.Combine(run.DataDirectory, "salvaged")));

                // Every acknowledged event counts exactly once, except the ones the salvage reported lost: exactly one batch.
                var events = oracle.Snapshot();
                var found = await ReadCountsAsync(http, events, run);
                var missing = events.Select((e, i) => (e, found[i])).Where(x => x.e.Fate == Fate.Acknowledged && x.Item2.Views == 0).Select(x => x.e).ToList();
                var wrong = events.Select((e, i) => (e, found[i])).Where(x => x.Item2.Views > 1 || x.Item2.Amount != x.Item2.Views * x.e.Amount).ToList();
                Assert.True(wrong.Count == 0, run.Context($"{wrong.Count} keys counted twice or with the wrong amount after the salvage"));
                Assert.True(missing.Count == lost && lost == 20 && missing.All(sequential.Contains),
                    run.Context($"the salvage reported {lost} events lost; {missing.Count} acknowledged events are missing: {string.Join(',', missing.Take(30).Select(e => e.Key))}"));
                await salvaging.TerminateAsync(ExitTimeout, run);
            }
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

    /// <summary>The byte positions of a segment's records (from the 32-byte segment header, each 48 bytes plus its payload).</summary>
    private static List<long> RecordStarts(string segment)
    {
        byte[] data = File.ReadAllBytes(segment);
        var starts = new List<long>();
        for (long p = 32; p + 48 <= data.Length; p += 48 + BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan((int)p + 8)))
        {
            starts.Add(p);
        }

        return starts;
    }

    private static void FlipByte(string path, long position)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = position;
        int b = file.ReadByte();
        file.Position = position;
        file.WriteByte((byte)(b ^ 0x10));
    }
}
