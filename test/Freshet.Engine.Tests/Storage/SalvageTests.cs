using Freshet.Engine.Check;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Oracle;
using Freshet.Events;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// Damage in the middle of the newest segment is refused, not cut as if a crash had torn it; the explicit salvage
/// keeps every valid record around it and moves the damaged bytes aside; and a record a crash really tears was never
/// acknowledged under durability 'always'.
/// </summary>
public sealed class SalvageTests : DataDirectoryTest
{
    [Fact]
    public async Task Open_BadRecordMidNewestSegmentPastTheCheckpoint_RefusesNamingFileAndByteAndChangesNothing()
    {
        var (directory, _) = await CrashedAsync(seed: 41);
        string segment = DurableEngine.Segments(directory)[^1];
        long length = new FileInfo(segment).Length;
        DurableEngine.FlipBit(segment, length / 2);

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));

        Assert.Equal(StorageProblem.Corrupt, error.Problem);
        Assert.Contains(segment, error.Message, StringComparison.Ordinal);
        Assert.Contains("is damaged at byte", error.Message, StringComparison.Ordinal);
        Assert.Contains("--salvage-log", error.Message, StringComparison.Ordinal);
        Assert.Equal(length, new FileInfo(segment).Length);
        var check = DataDirectoryCheck.Run(directory);
        Assert.Contains(check, f => f.Severity == CheckSeverity.Error && f.Part.EndsWith(Path.GetFileName(segment), StringComparison.Ordinal)
            && f.Message.Contains("--salvage-log", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_WithSalvageLog_KeepsTheRecordsBeforeAndAfterTheDamageAndMovesItsBytesAside()
    {
        var (directory, sizes) = await CrashedAsync(seed: 42);
        string segment = DurableEngine.Segments(directory)[^1];
        long length = new FileInfo(segment).Length;
        DurableEngine.FlipBit(segment, length / 2);
        long total = sizes.Sum();
        var logged = new List<string>();

        long lost;
        await using (var salvaged = DurableEngine.Open(directory, storage: Storage(directory) with { SalvageLog = true, Diagnostics = logged.Add }))
        {
            string cut = Assert.Single(salvaged.Recovery!.Notes, n => n.StartsWith("salvage: cut bytes", StringComparison.Ordinal));
            Assert.Contains(Path.GetFileName(segment), cut, StringComparison.Ordinal);
            Assert.Contains(cut, logged);
            // Exactly one record (one acknowledged batch) is lost; everything after it is kept, renumbered.
            lost = long.Parse(cut[(cut.IndexOf("): ", StringComparison.Ordinal) + 3)..].Split(' ')[0], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.CurrentCulture);
            Assert.Contains((int)lost, sizes);
            Assert.Equal(total - lost, salvaged.GetStats().Accepted);
            Assert.Contains("renumbered", cut, StringComparison.Ordinal);

            string[] aside = Directory.GetFiles(Path.Combine(directory, "salvaged"));
            string moved = Assert.Single(aside);
            Assert.True(new FileInfo(moved).Length > 0 && new FileInfo(moved).Length < length / 2, $"{moved} should hold the damaged record only");

            // The log goes on from its new end.
            await DurableEngine.IngestAsync(salvaged, OracleStream.Generate(43, 300, DurableEngine.Wall).Select(e => e with { Index = e.Index + 100_000 }).ToList(), seed: 5);
        }

        await using var again = DurableEngine.Open(directory);
        Assert.DoesNotContain(again.Recovery!.Notes, n => n.Contains("salvage", StringComparison.Ordinal));
        Assert.True(DataDirectoryCheck.Run(directory).All(f => f.Severity != CheckSeverity.Error));
    }

    [Fact]
    public async Task Open_KilledMidWriteUnderAlways_CutsOnlyEventsThatWereNeverAcknowledged()
    {
        // The writer writes half a group commit, then the hook copies the directory as a kill at that moment leaves it.
        var events = OracleStream.Generate(44, 4_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string killed = NewDirectory();
        long acknowledged = 0;
        long acknowledgedAtKill = -1;
        long durableAtKill = -1;
        int writes = 0;
        FreshetEngine? engine = null;
        var storage = Storage(directory) with
        {
            MidWriteHook = () =>
            {
                if (++writes == 12)
                {
                    acknowledgedAtKill = Interlocked.Read(ref acknowledged);
                    durableAtKill = engine!.GetStorageStats()!.DurableOffset;
                    DurableEngine.CopyDirectory(directory, killed);
                }
            },
        };
        await using (engine = DurableEngine.Open(directory, storage: storage))
        {
            var batch = new EventBatch();
            for (int position = 0; position < events.Count; position += 150)
            {
                batch.Clear();
                DurableEngine.Fill(batch, engine.Strings, events.Skip(position).Take(150), withIds: true);
                var result = engine.Ingest(batch);
                await engine.WaitDurableAsync(result);
                Interlocked.Add(ref acknowledged, result.Accepted);
            }
        }

        Assert.True(durableAtKill > 0, "the mid-write hook never copied the directory");
        await using var recovered = DurableEngine.Open(killed);

        // A torn tail was cut, and it held only events past what was acknowledged when the kill came.
        Assert.Contains(recovered.Recovery!.Notes, n => n.StartsWith("cut ", StringComparison.Ordinal) && n.Contains("a write cut short", StringComparison.Ordinal));
        Assert.Equal(durableAtKill, recovered.GetStats().Accepted);
        Assert.True(acknowledgedAtKill <= durableAtKill, $"{acknowledgedAtKill} events acknowledged at the kill, but only {durableAtKill} were durable");
    }

    [Fact]
    public async Task GetStorageStats_AfterARestart_ReportsTheLoadedCheckpointsTime()
    {
        var events = OracleStream.Generate(45, 1_000, DurableEngine.Wall);
        string directory = NewDirectory();
        DateTimeOffset? written;
        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 6);
            await engine.CheckpointAsync();
            written = engine.GetStorageStats()!.LastCheckpointAt;
        }

        await using var reopened = DurableEngine.Open(directory);
        var stats = reopened.GetStorageStats()!;

        Assert.NotNull(stats.LastCheckpointOffset);
        Assert.Equal(written, stats.LastCheckpointAt);
        Assert.Equal(DurableEngine.Wall, stats.LastCheckpointAt!.Value.ToUnixTimeMilliseconds()); // the test clock, not 1970
    }

    /// <summary>A data directory as a kill leaves it: a checkpoint after 1,000 events, 3,000 acknowledged after it.</summary>
    private async Task<(string Directory, List<int> Sizes)> CrashedAsync(int seed)
    {
        var events = OracleStream.Generate(seed, 4_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string crashed = NewDirectory();
        var sizes = new List<int>();
        await using (var engine = DurableEngine.Open(directory))
        {
            sizes.AddRange(await DurableEngine.IngestAsync(engine, events.Take(1_000).ToList(), seed: 1));
            await engine.CheckpointAsync();
            sizes.AddRange(await DurableEngine.IngestAsync(engine, events.Skip(1_000).ToList(), seed: 2));
            DurableEngine.CopyDirectory(directory, crashed);
        }

        return (crashed, sizes);
    }

    private static StorageOptions Storage(string directory) => new() { Directory = directory, CheckpointInterval = TimeSpan.Zero };
}
