using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Storage;
using Freshet.Time;

namespace Freshet.Engine.Tests.Ingest;

/// <summary>
/// The dedup window across a restart: ids in the checkpoint and ids replayed from the log after it are remembered as
/// before (a resend inside the horizon counts once), and a smaller budget after the restart keeps memory bounded,
/// forgetting the oldest generations and saying so.
/// </summary>
public sealed class DedupRestartTests : DataDirectoryTest
{
    private const long T0 = DedupFloodTests.T0;

    private static StorageOptions Storage(string directory) => new() { Directory = directory, CheckpointInterval = TimeSpan.Zero };

    [Fact]
    public async Task Open_AfterACrashPastACheckpoint_ResendOfIdsFromBothIsCountedOnce()
    {
        string directory = NewDirectory();
        await using (var engine = DedupFloodTests.NewEngine(storage: Storage(directory)))
        {
            var original = DedupFloodTests.Views(engine, first: 0, count: 1_000, T0, "a");
            Assert.Equal(1_000, engine.Ingest(original).Accepted);
            long now = DedupFloodTests.Flood(engine, firstId: 1_000, ids: 1_200_000, fromMs: T0 + 1);
            Assert.NotNull(await engine.CheckpointAsync());
            // Past the checkpoint, so only the log has these: recovery replays them into the window.
            DedupFloodTests.Flood(engine, firstId: 1_201_000, ids: 1_000_000, fromMs: now);
            var last = engine.Ingest(DedupFloodTests.Views(engine, first: 2_201_000, count: 1_000, now + 20_000, "b"));
            await engine.WaitDurableAsync(last);
            engine.SimulateCrash();
        }

        await using var recovered = DedupFloodTests.NewEngine(storage: Storage(directory));
        var fromCheckpoint = recovered.Ingest(DedupFloodTests.Views(recovered, first: 0, count: 1_000, T0, "a"));
        var fromLog = recovered.Ingest(DedupFloodTests.Views(recovered, first: 2_201_000, count: 1_000, T0 + 30_000, "b"));

        Assert.Equal((0, 1_000), (fromCheckpoint.Accepted, fromCheckpoint.Duplicates));
        Assert.Equal((0, 1_000), (fromLog.Accepted, fromLog.Duplicates));
        Assert.Equal(1_000, DedupFloodTests.ViewsOf(recovered, "a"));
        var dedup = recovered.GetStats().Dedup;
        Assert.Equal(2_202_000, dedup.Ids);
        Assert.Equal(0, dedup.ForgottenEarly);
        Assert.True(dedup.Bytes <= dedup.BudgetBytes, $"{dedup.Bytes} bytes held, over the {dedup.BudgetBytes} budget");
    }

    [Fact]
    public async Task Open_WithASmallerBudget_KeepsTheNewestIdsWithinIt_AndCountsTheForgotten()
    {
        string directory = NewDirectory();
        await using (var engine = DedupFloodTests.NewEngine(storage: Storage(directory)))
        {
            // 40 batches of 500 ids, 12 s apart: several generations, 20,000 ids (more than 64 KiB holds).
            for (int i = 0; i < 40; i++)
            {
                Assert.Equal(500, engine.Ingest(DedupFloodTests.Views(engine, first: i * 500, count: 500, T0 + (i * 12 * Duration.Second), "a")).Accepted);
            }
        } // a clean stop writes the last checkpoint

        await using var reopened = DedupFloodTests.NewEngine(memoryBytes: EngineOptions.DedupMemoryMinBytes, storage: Storage(directory));
        var before = reopened.GetStats().Dedup;
        var newest = reopened.Ingest(DedupFloodTests.Views(reopened, first: 39 * 500, count: 500, T0 + (40 * 12 * Duration.Second), "a"));

        Assert.True(before.Bytes <= EngineOptions.DedupMemoryMinBytes, $"{before.Bytes} bytes held, over the 64 KiB budget");
        Assert.True(before.ForgottenEarly > 0 && before.ForgottenEarly + before.Ids == 20_000,
            $"expected the ids that do not fit to be counted as forgotten: {before.Ids} held, {before.ForgottenEarly} forgotten");
        Assert.Equal((0, 500), (newest.Accepted, newest.Duplicates));
    }
}
