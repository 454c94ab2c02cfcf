using System.Buffers.Binary;
using System.Globalization;
using Freshet.Engine.Check;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Oracle;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// Seeded damage at the start, middle and end of every kind of file a data directory holds — an old segment the
/// checkpoint covers, an old segment replay needs, the newest segment, a checkpoint file and the id journal — on a
/// directory as a kill leaves it (two checkpoints, events acknowledged after them). Every case ends either in exact
/// state (every acknowledged event counted once) or in a refusal naming the damaged file, and <c>freshet check</c>'s
/// verdict agrees with what the engine did: never silent loss.
/// </summary>
public sealed class CorruptionMatrixTests(CorruptionMatrixTests.Fixture fixture) : DataDirectoryTest, IClassFixture<CorruptionMatrixTests.Fixture>
{
    public enum Target { CoveredSegment, NeededSegment, NewestSegment, NewestCheckpointShard, NewestCheckpointManifest, IdJournal }

    public enum Where { Start, Middle, End }

    [Theory]
    [InlineData(Target.CoveredSegment, Where.Start)]
    [InlineData(Target.CoveredSegment, Where.Middle)]
    [InlineData(Target.CoveredSegment, Where.End)]
    [InlineData(Target.NeededSegment, Where.Start)]
    [InlineData(Target.NeededSegment, Where.Middle)]
    [InlineData(Target.NeededSegment, Where.End)]
    [InlineData(Target.NewestSegment, Where.Start)]
    [InlineData(Target.NewestSegment, Where.Middle)]
    [InlineData(Target.NewestSegment, Where.End)]
    [InlineData(Target.NewestCheckpointShard, Where.Start)]
    [InlineData(Target.NewestCheckpointShard, Where.Middle)]
    [InlineData(Target.NewestCheckpointShard, Where.End)]
    [InlineData(Target.NewestCheckpointManifest, Where.Middle)]
    [InlineData(Target.IdJournal, Where.Start)]
    [InlineData(Target.IdJournal, Where.Middle)]
    [InlineData(Target.IdJournal, Where.End)]
    public async Task Open_DamagedFile_EndsInExactStateOrARefusalNamingItAndCheckAgrees(Target target, Where where)
    {
        string directory = NewDirectory();
        DurableEngine.CopyDirectory(fixture.Directory, directory);
        string damaged = Damage(directory, fixture, target, where);
        string name = Path.GetFileName(damaged);

        var findings = DataDirectoryCheck.Run(directory);
        var errors = findings.Where(f => f.Severity == CheckSeverity.Error).ToList();
        var warnings = new List<string>();
        FreshetEngine? engine = null;
        StorageException? refusal = null;
        try
        {
            engine = DurableEngine.Open(directory, storage: new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero, Diagnostics = warnings.Add });
        }
        catch (StorageException error)
        {
            refusal = error;
        }

        string verdict = string.Join("\n", findings.Select(f => $"{f.Severity} {f.Part}: {f.Message}"));
        if (refusal is not null)
        {
            Assert.Equal(StorageProblem.Corrupt, refusal.Problem);
            Assert.True(refusal.Message.Contains(name, StringComparison.Ordinal), $"the refusal should name {name}: {refusal.Message}");
            Assert.True(errors.Any(e => e.Part.EndsWith(name, StringComparison.Ordinal)), $"check should report an error on {name} as the server refuses:\n{verdict}");
            Assert.True(target is Target.NeededSegment or Target.NewestSegment or Target.IdJournal, $"{target} should not stop the start: {refusal.Message}");
            return;
        }

        await using (engine)
        {
            Assert.True(errors.Count == 0, $"the server started, so check should report no error:\n{verdict}");
            Assert.Equal(fixture.Accepted, engine!.GetStats().Accepted);
            Assert.Equal(fixture.Expected, DurableEngine.Dump(engine));
            Assert.True(target is Target.CoveredSegment or Target.NewestCheckpointShard or Target.NewestCheckpointManifest, $"{target} should have stopped the start");
            if (target == Target.CoveredSegment)
            {
                // Started, but loudly: the server's log and check name the same file.
                var loud = await engine.OldSegmentCheck!.WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Contains(loud, w => w.StartsWith("WARNING", StringComparison.Ordinal) && w.Contains(name, StringComparison.Ordinal));
                Assert.Contains(warnings, w => w.Contains(name, StringComparison.Ordinal));
                Assert.Contains(findings, f => f.Severity == CheckSeverity.Warning && f.Part.EndsWith(name, StringComparison.Ordinal)
                    && f.Message.Contains("the server starts on it and logs a warning", StringComparison.Ordinal));
            }
            else
            {
                Assert.Contains(engine.Recovery!.Notes, n => n.Contains("skipped the checkpoint", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>Flips a byte of the target file at the start, middle or end of its content; returns the file.</summary>
    private static string Damage(string directory, Fixture fixture, Target target, Where where)
    {
        string[] segments = DurableEngine.Segments(directory);
        string newestCheckpoint = Path.Combine(directory, "checkpoints", fixture.NewerCheckpoint.ToString("D20", CultureInfo.InvariantCulture));
        string path = target switch
        {
            Target.CoveredSegment => segments[0],
            Target.NeededSegment => segments[fixture.NeededSegment],
            Target.NewestSegment => segments[^1],
            Target.NewestCheckpointShard => Path.Combine(newestCheckpoint, "shard-001"),
            Target.NewestCheckpointManifest => Path.Combine(newestCheckpoint, "manifest"),
            _ => Path.Combine(directory, IdJournal.FileName),
        };
        long length = new FileInfo(path).Length;
        long position;
        if (target is Target.CoveredSegment or Target.NeededSegment or Target.NewestSegment)
        {
            // Inside the payload of the first, a middle or the last record.
            var records = RecordStarts(path);
            Assert.True(records.Count >= 3, $"{path} holds {records.Count} records; the matrix needs at least 3");
            position = where switch
            {
                Where.Start => records[0] + 60,
                Where.Middle => records[records.Count / 2] + 60,
                _ => records[^1] + 60,
            };
        }
        else
        {
            position = where switch
            {
                Where.Start => 20, // past the 16-byte headers, inside the first record
                Where.Middle => length / 2,
                _ => length - 3,
            };
        }

        DurableEngine.FlipBit(path, position);
        return path;
    }

    /// <summary>The byte positions of a segment's records (header magic and payload length).</summary>
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

    private static List<long> LogSegmentsFirstOffsets(string directory) =>
        [.. DurableEngine.Segments(directory).Select(p => long.Parse(Path.GetFileNameWithoutExtension(p), CultureInfo.InvariantCulture))];

    /// <summary>
    /// The shared directory: 6,000 events in batches, checkpoints after 2,000 and 4,000, 2,000 more acknowledged after
    /// that, and no last checkpoint (as a kill leaves it). Small segments so there are old ones on both sides of the
    /// checkpoints. Each case damages its own copy.
    /// </summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public string Directory { get; } = DurableEngine.NewDirectory();

        public string Expected { get; private set; } = "";

        public long Accepted { get; private set; }

        public long OlderCheckpoint { get; private set; }

        public long NewerCheckpoint { get; private set; }

        public int NeededSegment { get; private set; }

        public async Task InitializeAsync()
        {
            var events = OracleStream.Generate(61, 6_000, DurableEngine.Wall);
            Expected = await DurableEngine.ReferenceAsync(events);
            string live = DurableEngine.NewDirectory();
            await using (var engine = DurableEngine.Open(live, storage: new StorageOptions { Directory = live, CheckpointInterval = TimeSpan.Zero, SegmentBytes = 8 << 10 }))
            {
                await IngestInSmallBatchesAsync(engine, events.Take(2_000));
                OlderCheckpoint = (await engine.CheckpointAsync())!.Value;
                await IngestInSmallBatchesAsync(engine, events.Skip(2_000).Take(2_000));
                NewerCheckpoint = (await engine.CheckpointAsync())!.Value;
                await IngestInSmallBatchesAsync(engine, events.Skip(4_000));
                Accepted = engine.GetStats().Accepted;
                DurableEngine.CopyDirectory(live, Directory);
            }

            System.IO.Directory.Delete(live, recursive: true);
            var segments = LogSegmentsFirstOffsets(Directory);
            // Covered: wholly before the older checkpoint (replay never reads it, even when the newest checkpoint is damaged).
            Assert.True(segments.Count > 4 && segments[1] <= OlderCheckpoint, $"segments start at {string.Join(", ", segments)}; the older checkpoint is at {OlderCheckpoint}");
            // Needed: one replay reads, not the newest.
            NeededSegment = segments.FindIndex(first => first > NewerCheckpoint);
            Assert.True(NeededSegment > 0 && NeededSegment < segments.Count - 1, $"no old segment past the checkpoint at {NewerCheckpoint}: {string.Join(", ", segments)}");
        }

        /// <summary>Batches of 40 events, each acknowledged before the next: a record each, so every segment holds several.</summary>
        private static async Task IngestInSmallBatchesAsync(FreshetEngine engine, IEnumerable<RawEvent> events)
        {
            var batch = new Freshet.Events.EventBatch();
            foreach (var chunk in events.Chunk(40))
            {
                batch.Clear();
                DurableEngine.Fill(batch, engine.Strings, chunk, withIds: true);
                await engine.WaitDurableAsync(engine.Ingest(batch));
            }

            Assert.True(engine.Flush(TimeSpan.FromSeconds(60)), "the shards did not apply the stream within 60 s");
        }

        public Task DisposeAsync()
        {
            System.IO.Directory.Delete(Directory, recursive: true);
            return Task.CompletedTask;
        }
    }
}
