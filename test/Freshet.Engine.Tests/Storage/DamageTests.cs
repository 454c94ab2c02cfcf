using System.Text;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Oracle;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// Damaged data directories: a torn log tail is cut and reported, a flipped bit in the middle of the log stops the
/// start with the file and position named, a damaged checkpoint falls back to an older one, and a state that cannot
/// be rebuilt exactly is refused.
/// </summary>
public sealed class DamageTests : DataDirectoryTest
{
    [Fact]
    public async Task Open_LogEndingInHalfARecord_CutsTheTornTailAndKeepsEverythingBeforeIt()
    {
        var events = OracleStream.Generate(21, 4_000, DurableEngine.Wall);
        string expected = await DurableEngine.ReferenceAsync(events);
        string directory = await CrashedAfterAsync(events, checkpointAt: null);
        string last = DurableEngine.Segments(directory)[^1];
        long length = new FileInfo(last).Length;
        // The start of a record that a crash cut off: a valid-looking header (the first record's), then zeros.
        byte[] tail = new byte[200];
        File.ReadAllBytes(last).AsSpan(32, 48).CopyTo(tail);
        await File.AppendAllBytesAsync(last, tail);

        await using (var recovered = DurableEngine.Open(directory))
        {
            Assert.Contains(recovered.Recovery!.Notes, n => n.StartsWith("cut 200 bytes off the end of", StringComparison.Ordinal));
            Assert.Equal(length, new FileInfo(last).Length);
            Assert.Equal(expected, DurableEngine.Dump(recovered));

            // The log goes on from there.
            await DurableEngine.IngestAsync(recovered, OracleStream.Generate(22, 500, DurableEngine.Wall).Select(e => e with { Index = e.Index + 100_000 }).ToList(), seed: 3);
        }

        await using var again = DurableEngine.Open(directory);
        Assert.Empty(again.Recovery!.Notes);
    }

    [Fact]
    public async Task Open_LastRecordCutShort_LosesOnlyThatRecord()
    {
        var events = OracleStream.Generate(23, 4_000, DurableEngine.Wall);
        string directory = NewDirectory();
        List<int> sizes;
        await using (var engine = DurableEngine.Open(directory))
        {
            sizes = await DurableEngine.IngestAsync(engine, events, seed: 4, withIds: true);
        }

        // Take the checkpoint away (so the log is all there is) and cut the last record in the middle.
        foreach (string checkpoint in Directory.GetDirectories(Path.Combine(directory, "checkpoints")))
        {
            Directory.Delete(checkpoint, recursive: true);
        }

        string last = DurableEngine.Segments(directory)[^1];
        using (var file = new FileStream(last, FileMode.Open))
        {
            file.SetLength(file.Length - 25);
        }

        await using var recovered = DurableEngine.Open(directory);
        long total = sizes.Sum();
        Assert.Equal(total - sizes[^1], recovered.GetStats().Accepted);
        Assert.Contains(recovered.Recovery!.Notes, n => n.Contains("a write cut short", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_LogCutBelowTheNewestCheckpoint_RefusesToStartAndSaysWhatIsMissing()
    {
        var events = OracleStream.Generate(34, 6_000, DurableEngine.Wall);
        string directory = NewDirectory();
        await using (var engine = DurableEngine.Open(directory, storage: Storage(directory) with { SegmentBytes = 16 << 10 }))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 13);
            await engine.CheckpointAsync();
        }

        // Someone removes the newest segments by hand: the checkpoint knows the log reached further.
        string[] segments = DurableEngine.Segments(directory);
        File.Delete(segments[^1]);
        File.Delete(segments[^2]);

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));

        Assert.Equal(StorageProblem.Corrupt, error.Problem);
        Assert.Contains("acknowledged events are missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("move the checkpoints after offset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_LogFolderEmptiedButCheckpointsRemain_RefusesToStart()
    {
        var events = OracleStream.Generate(35, 2_000, DurableEngine.Wall);
        string directory = NewDirectory();
        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 14);
        }

        foreach (string segment in DurableEngine.Segments(directory))
        {
            File.Delete(segment);
        }

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));

        Assert.Equal(StorageProblem.Missing, error.Problem);
        Assert.Contains("holds no log segments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_BitFlippedInTheLastRecordACheckpointCovers_IsDamageNotATornTail()
    {
        var events = OracleStream.Generate(30, 3_000, DurableEngine.Wall);
        string directory = NewDirectory();
        await using (var engine = DurableEngine.Open(directory))
        {
            var batch = new Freshet.Events.EventBatch();
            DurableEngine.Fill(batch, engine.Strings, events, withIds: true);
            await engine.WaitDurableAsync(engine.Ingest(batch)); // one record: the whole log
        }

        string segment = DurableEngine.Segments(directory)[^1];
        long length = new FileInfo(segment).Length;
        DurableEngine.FlipBit(segment, length / 2);

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));

        Assert.Equal(StorageProblem.Corrupt, error.Problem);
        Assert.Contains("damage, not a write cut short", error.Message, StringComparison.Ordinal);
        Assert.Equal(length, new FileInfo(segment).Length); // nothing was cut
    }

    [Fact]
    public async Task Open_BitFlippedInAnOlderSegmentTheCheckpointNeeds_RefusesToStart()
    {
        var events = OracleStream.Generate(25, 6_000, DurableEngine.Wall);
        string directory = NewDirectory();
        await using (var engine = DurableEngine.Open(directory, storage: Storage(directory) with { SegmentBytes = 16 << 10 }))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 5);
            DurableEngine.CopyDirectory(directory, directory + "-crashed");
            Track(directory + "-crashed");
        }

        string[] segments = DurableEngine.Segments(directory + "-crashed");
        Assert.True(segments.Length > 3, $"expected several segments of 16 KiB, found {segments.Length}");
        DurableEngine.FlipBit(segments[1], 100);

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory + "-crashed"));

        Assert.Equal(StorageProblem.Corrupt, error.Problem);
        Assert.Contains(Path.GetFileName(segments[1]), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shard-001")]
    [InlineData("manifest")]
    public async Task Open_NewestCheckpointDamaged_FallsBackToTheOlderOneAndReplaysMore(string file)
    {
        var events = OracleStream.Generate(26, 8_000, DurableEngine.Wall);
        string expected = await DurableEngine.ReferenceAsync(events);
        string directory = NewDirectory();
        long older, newer;
        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events.Take(3_000).ToList(), seed: 6);
            older = (await engine.CheckpointAsync())!.Value;
            await DurableEngine.IngestAsync(engine, events.Skip(3_000).Take(3_000).ToList(), seed: 7);
            newer = (await engine.CheckpointAsync())!.Value;
            await DurableEngine.IngestAsync(engine, events.Skip(6_000).ToList(), seed: 8);
            DurableEngine.CopyDirectory(directory, directory + "-crashed");
            Track(directory + "-crashed");
        }

        string damaged = Path.Combine(directory + "-crashed", "checkpoints", newer.ToString("D20", System.Globalization.CultureInfo.InvariantCulture), file);
        DurableEngine.FlipBit(damaged, new FileInfo(damaged).Length / 2);

        await using var recovered = DurableEngine.Open(directory + "-crashed");
        Assert.Contains(recovered.Recovery!.Notes, n => n.Contains($"skipped the checkpoint at offset {newer:N0}", StringComparison.Ordinal) && n.Contains("fails its checksum", StringComparison.Ordinal));
        if (file == "manifest")
        {
            Assert.Equal(older, recovered.Recovery.ReplayedFromOffset);
        }
        else
        {
            // Only shard 1 falls back: it replays from the older checkpoint, the others skip what their newer one holds.
            Assert.Equal(older, recovered.Recovery.ReplayedFromOffset);
            Assert.Equal(newer, recovered.Recovery.CheckpointOffset);
        }

        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Fact]
    public async Task Open_NoUsableCheckpointAndTheLogNoLongerStartsAtZero_RefusesToStart()
    {
        var events = OracleStream.Generate(27, 6_000, DurableEngine.Wall);
        string directory = NewDirectory();
        await using (var engine = DurableEngine.Open(directory, storage: Storage(directory) with { SegmentBytes = 16 << 10, RetentionBytes = 1, CheckpointsKept = 1 }))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 9);
            await engine.CheckpointAsync();
            Assert.True(engine.GetStorageStats()!.LogFirstOffset > 0, "retention should have deleted the segments before the checkpoint");
        }

        foreach (string shardFile in Directory.GetFiles(Directory.GetDirectories(Path.Combine(directory, "checkpoints"))[0], "shard-*"))
        {
            DurableEngine.FlipBit(shardFile, 40);
        }

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));

        Assert.Equal(StorageProblem.Missing, error.Problem);
        Assert.Contains("has no usable checkpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be rebuilt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkpoint_WithRetentionBySize_DeletesOnlySegmentsNoCheckpointNeeds()
    {
        var events = OracleStream.Generate(28, 9_000, DurableEngine.Wall);
        string expected = await DurableEngine.ReferenceAsync(events);
        string directory = NewDirectory();
        await using (var engine = DurableEngine.Open(directory, storage: Storage(directory) with { SegmentBytes = 16 << 10, RetentionBytes = 1, CheckpointsKept = 2 }))
        {
            await DurableEngine.IngestAsync(engine, events.Take(3_000).ToList(), seed: 10);
            long first = (await engine.CheckpointAsync())!.Value;
            await DurableEngine.IngestAsync(engine, events.Skip(3_000).Take(3_000).ToList(), seed: 11);
            await engine.CheckpointAsync();
            var stats = engine.GetStorageStats()!;
            // The older checkpoint is still kept (a fallback), so the log must still reach back to it.
            Assert.True(stats.LogFirstOffset <= first, $"the log starts at {stats.LogFirstOffset}, after the kept checkpoint at {first}");
            Assert.True(stats.LogFirstOffset > 0, "segments before the oldest kept checkpoint should be gone");
            await DurableEngine.IngestAsync(engine, events.Skip(6_000).ToList(), seed: 12);
        }

        await using var recovered = DurableEngine.Open(directory);
        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Fact]
    public async Task Open_IdJournalWithATornEnd_CutsItAndRecovers()
    {
        var events = OracleStream.Generate(29, 3_000, DurableEngine.Wall);
        string expected = await DurableEngine.ReferenceAsync(events);
        string directory = await CrashedAfterAsync(events, checkpointAt: 1_500);
        await File.AppendAllBytesAsync(Path.Combine(directory, "ids.journal"), Encoding.UTF8.GetBytes("\u0010\0\0\0garbage"));

        await using var recovered = DurableEngine.Open(directory);

        Assert.Contains(recovered.Recovery!.Notes, n => n.Contains("ids.journal", StringComparison.Ordinal));
        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Fact]
    public void IdJournalOpen_WholeRecordFailingItsChecksumBeforeATornOne_IsDamageNotATornEnd()
    {
        string directory = NewDirectory();
        Directory.CreateDirectory(directory);
        var strings = new Freshet.Events.StringInterner();
        long secondRecord;
        using (var journal = IdJournal.Open(directory, strings, new Freshet.Features.EntityKeySpace(), out _))
        {
            strings.GetOrAdd("first");
            journal.Sync();
            secondRecord = new FileInfo(journal.Path).Length;
            strings.GetOrAdd("second");
            journal.Sync();
            strings.GetOrAdd("third, whose record a crash cuts short");
            journal.Sync();
        }

        // A sync cut short only ever leaves its own last record incomplete; a whole record before it failing its CRC is a
        // flipped bit, even though no valid record follows it.
        string path = Path.Combine(directory, IdJournal.FileName);
        using (var file = new FileStream(path, FileMode.Open))
        {
            file.SetLength(file.Length - 5);
        }

        DurableEngine.FlipBit(path, secondRecord + 12);

        var error = Assert.Throws<StorageException>(() => IdJournal.Open(directory, new Freshet.Events.StringInterner(), new Freshet.Features.EntityKeySpace(), out _));
        Assert.Equal(StorageProblem.Corrupt, error.Problem);
        Assert.Contains(IdJournal.FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains($"byte {secondRecord:N0}", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A data directory as a kill leaves it after the events (with a checkpoint after the first N when asked).</summary>
    private async Task<string> CrashedAfterAsync(List<RawEvent> events, int? checkpointAt)
    {
        string directory = NewDirectory();
        string crashed = NewDirectory();
        await using var engine = DurableEngine.Open(directory);
        int split = checkpointAt ?? 0;
        if (split > 0)
        {
            await DurableEngine.IngestAsync(engine, events.Take(split).ToList(), seed: 1);
            await engine.CheckpointAsync();
        }

        await DurableEngine.IngestAsync(engine, events.Skip(split).ToList(), seed: 2);
        DurableEngine.CopyDirectory(directory, crashed);
        return crashed;
    }

    private static StorageOptions Storage(string directory) => new() { Directory = directory, CheckpointInterval = TimeSpan.Zero };
}
