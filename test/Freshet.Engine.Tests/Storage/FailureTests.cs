using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Oracle;
using Freshet.Events;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// A full disk, a read-only file system and a data directory deleted under a running engine: each ends in a clear
/// error and a refusal to go on, and nothing that was already durable is damaged.
/// </summary>
public sealed class FailureTests
{
    [TmpfsFact]
    public async Task Ingest_WhenTheDiskFills_FailsWithFullAndKeepsEverythingAcknowledgedBefore()
    {
        using var disk = Tmpfs.Mount(1 << 20);
        string directory = Path.Combine(disk.Path, "data");
        var events = OracleStream.Generate(31, 60_000, DurableEngine.Wall);
        long acknowledged = 0;
        StorageException? failure = null;
        await using (var engine = DurableEngine.Open(directory, storage: new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero, SegmentBytes = 128 << 10 }))
        {
            var batch = new EventBatch();
            for (int position = 0; position < events.Count && failure is null; position += 200)
            {
                batch.Clear();
                DurableEngine.Fill(batch, engine.Strings, events.Skip(position).Take(200), withIds: true);
                try
                {
                    var result = engine.Ingest(batch);
                    await engine.WaitDurableAsync(result);
                    acknowledged += result.Accepted;
                }
                catch (StorageException error)
                {
                    failure = error;
                }
            }

            Assert.NotNull(failure);
            Assert.Equal(StorageProblem.Full, failure.Problem);
            Assert.Contains("the device is full", failure.Message, StringComparison.Ordinal);
            Assert.Same(failure, engine.StorageFailure);

            // Nothing more is taken, with the same reason.
            batch.Clear();
            DurableEngine.Fill(batch, engine.Strings, events.Take(1), withIds: true);
            var refused = Assert.Throws<StorageException>(() => engine.Ingest(batch));
            Assert.Equal(StorageProblem.Full, refused.Problem);
        }

        // With room again, everything acknowledged is there, once.
        disk.Remount("size=64m");
        await using var recovered = DurableEngine.Open(directory);
        long accepted = recovered.GetStats().Accepted;
        Assert.True(accepted >= acknowledged && accepted <= acknowledged + 200,
            $"{acknowledged} events were acknowledged before the disk filled; the recovered engine counts {accepted}");
    }

    [TmpfsFact]
    public void Open_ReadOnlyFileSystem_IsRefusedSayingSo()
    {
        using var disk = Tmpfs.Mount(1 << 20);
        disk.Remount("ro");

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(Path.Combine(disk.Path, "data")));

        Assert.Equal(StorageProblem.ReadOnly, error.Problem);
        Assert.Contains("read-only", error.Message, StringComparison.Ordinal);
    }

    [TmpfsFact]
    public async Task Open_ExistingDirectoryRemountedReadOnly_IsRefusedAndLeftIntact()
    {
        using var disk = Tmpfs.Mount(8 << 20);
        string directory = Path.Combine(disk.Path, "data");
        var events = OracleStream.Generate(32, 2_000, DurableEngine.Wall);
        string expected = await DurableEngine.ReferenceAsync(events);
        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 1);
        }

        disk.Remount("ro");
        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));
        Assert.Equal(StorageProblem.ReadOnly, error.Problem);

        disk.Remount("rw");
        await using var reopened = DurableEngine.Open(directory);
        Assert.Equal(expected, DurableEngine.Dump(reopened));
    }

    [Fact]
    public async Task Ingest_AfterTheDataDirectoryIsDeleted_FailsWithMissingInsteadOfWritingIntoTheVoid()
    {
        string directory = DurableEngine.NewDirectory();
        var events = OracleStream.Generate(33, 1_000, DurableEngine.Wall);
        await using var engine = DurableEngine.Open(directory);
        await DurableEngine.IngestAsync(engine, events.Take(500).ToList(), seed: 1);

        Directory.Delete(directory, recursive: true);
        var batch = new EventBatch();
        DurableEngine.Fill(batch, engine.Strings, events.Skip(500).Take(10), withIds: true);
        var error = await Assert.ThrowsAsync<StorageException>(() => engine.WaitDurableAsync(engine.Ingest(batch)));

        Assert.Equal(StorageProblem.Missing, error.Problem);
        Assert.Contains("is gone", error.Message, StringComparison.Ordinal);
        Assert.NotNull(engine.StorageFailure);
    }

    [Fact]
    public async Task Ingest_WhenTheLogWriteFails_TheRefusedEventsNeverBecomeVisible()
    {
        string directory = DurableEngine.NewDirectory();
        var events = OracleStream.Generate(37, 1_000, DurableEngine.Wall);
        await using var engine = DurableEngine.Open(directory);
        await DurableEngine.IngestAsync(engine, events, seed: 1);
        string before = DurableEngine.Dump(engine);

        // The write fails (as on a full disk: the always policy checks the segment is still there before each write).
        // The events are copies of the newest ones with new ids and the same times (so not late, and the clock stays): only
        // their being applied could change an answer.
        Directory.Delete(directory, recursive: true);
        var batch = new EventBatch();
        DurableEngine.Fill(batch, engine.Strings, events.Skip(700).Select(e => e with { Index = e.Index + 100_000 }), withIds: true);
        var result = engine.Ingest(batch);
        Assert.True(result.Accepted > 0, "the copies should pass validation");
        await Assert.ThrowsAsync<StorageException>(() => engine.WaitDurableAsync(result));

        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)), "the shards did not finish within 30 s");
        Assert.Equal(before, DurableEngine.Dump(engine));
    }

    [TmpfsFact]
    public async Task Ingest_WhenTheDiskFills_ReadsNeverIncludeTheRefusedEvents()
    {
        using var disk = Tmpfs.Mount(1 << 20);
        string directory = Path.Combine(disk.Path, "data");
        var events = OracleStream.Generate(38, 2_000, DurableEngine.Wall);
        await using var engine = DurableEngine.Open(directory, storage: new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero });
        await DurableEngine.IngestAsync(engine, events, seed: 2);
        string before = DurableEngine.Dump(engine);

        // Fill the disk to the last byte, then send copies (new ids, same times) until the log refuses them.
        using (var filler = new FileStream(Path.Combine(disk.Path, "filler"), FileMode.Create))
        {
            try
            {
                filler.Write(new byte[2 << 20]);
                filler.Flush();
            }
            catch (IOException)
            {
                // Full, as intended.
            }
        }

        var batch = new EventBatch();
        StorageException? refused = null;
        for (int copy = 1; copy <= 20 && refused is null; copy++)
        {
            batch.Clear();
            DurableEngine.Fill(batch, engine.Strings, events.Skip(1_500).Select(e => e with { Index = e.Index + (copy * 100_000) }), withIds: true);
            try
            {
                // The last page of the segment may still have room for a batch or two: those are acknowledged and count.
                await engine.WaitDurableAsync(engine.Ingest(batch));
                Assert.True(engine.Flush(TimeSpan.FromSeconds(30)), "the shards did not finish within 30 s");
                before = DurableEngine.Dump(engine);
            }
            catch (StorageException error)
            {
                refused = error;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StorageProblem.Full, refused.Problem);
        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)), "the shards did not finish within 30 s");
        Assert.Equal(before, DurableEngine.Dump(engine));
    }

    [TmpfsFact]
    public void IdJournalSync_WhenTheDiskFillsHalfWay_CutsTheHalfBackAndTheNextSyncGoesOn()
    {
        using var disk = Tmpfs.Mount(64 << 20);
        var strings = new StringInterner();
        var keys = new Freshet.Features.EntityKeySpace();
        using (var journal = IdJournal.Open(disk.Path, strings, keys, out _))
        {
            for (int i = 0; i < 200_000; i++)
            {
                strings.GetOrAdd($"a-key-long-enough-to-fill-the-disk-{i}");
            }

            // Room for the first record of strings (65,536 of them) and part of the second, no more.
            var drive = new DriveInfo(disk.Path);
            long used = drive.TotalSize - drive.AvailableFreeSpace;
            disk.Remount($"size={((used + (4L << 20)) / 4096 * 4096) + 4096}");
            var error = Assert.Throws<StorageException>(() => journal.Sync());
            Assert.Equal(StorageProblem.Full, error.Problem);
            Assert.True(journal.StringCount > 1 && journal.StringCount < strings.Count, $"{journal.StringCount} of {strings.Count} strings journaled");

            disk.Remount("size=64m");
            journal.Sync();
            Assert.Equal(strings.Count, journal.StringCount);
        }

        var reloaded = new StringInterner();
        using (IdJournal.Open(disk.Path, reloaded, new Freshet.Features.EntityKeySpace(), out string? torn))
        {
            Assert.Null(torn);
            Assert.Equal(strings.Count, reloaded.Count);
            for (int id = 1; id < strings.Count; id += 4_999)
            {
                Assert.Equal(strings[id], reloaded[id]);
            }
        }
    }
}
