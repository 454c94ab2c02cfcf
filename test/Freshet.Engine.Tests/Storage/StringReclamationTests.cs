using System.Globalization;
using System.Text;
using Freshet.Reading;
using Freshet.Engine.Check;
using Freshet.Seams;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// Reclaiming string ids whose tiles expired (docs/STRING-RECLAMATION.md): freed after checkpoints, journaled, compacted,
/// never meaning two strings, and every restart answering as a process that never stopped.
/// </summary>
public sealed class StringReclamationTests
{
    private const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    private const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 5m
          max_future: 5m
          tiles: [{ resolution: 1m, keep: 30m }]
        entities:
          user: user
          site: []
        features:
          user_views: { entity: user, events: [view], aggregation: count, windows: [1m] }
          user_last_item: { entity: user, events: [view], aggregation: last, field: item, windows: [1m] }
          user_recent_items: { entity: user, events: [view], aggregation: last_k, field: item, k: 2, windows: [1m] }
          site_top_items: { entity: site, events: [view], aggregation: top_k, field: item, k: 3, windows: [1m] }
        """;

    private static readonly string[] Features = ["user_views", "user_last_item", "user_recent_items"];

    private static FreshetEngine Open(string? directory, Action<string>? faultPoint = null) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Day)),
            Storage = directory is null ? null
                : new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero, FaultPoint = faultPoint },
        });

    /// <summary>
    /// The stream, in phases: <paramref name="users"/> users who each view once at minute 0; two hours later a ticker
    /// (whose events let the shards sweep the expired tiles) and, in the last phase, some of the first users again
    /// with new items and users never seen.
    /// </summary>
    private static List<string> Phase(int phase, int users) => phase switch
    {
        0 => [.. Enumerable.Range(0, users).Select(u => View(T0 + u, $"user-{u:D6}", $"item-{u % 7}"))],
        1 => [.. Enumerable.Range(0, 4000).Select(i => View(T0 + (2 * Duration.Hour) + i, "ticker", "tick"))],
        _ => [.. Enumerable.Range(0, 300).Select(i => View(T0 + (2 * Duration.Hour) + 5000 + i,
            i % 2 == 0 ? $"user-{i * 3:D6}" : $"fresh-{i}", $"later-{i % 5}"))],
    };

    private static string View(long time, string user, string item) =>
        $$"""{"type": "view", "time": {{time}}, "user": "{{user}}", "item": "{{item}}"}""";

    private static async Task IngestAsync(FreshetEngine engine, IEnumerable<string> lines, int batchSize = 50)
    {
        foreach (var chunk in lines.Chunk(batchSize))
        {
            var batch = new EventBatch();
            var errors = new List<EventError>();
            new EventJsonParser(engine.Strings).Parse(Encoding.UTF8.GetBytes(string.Join('\n', chunk)), batch, errors);
            Assert.Empty(errors);
            var result = engine.Ingest(batch);
            Assert.Equal(chunk.Length, result.Accepted);
            await engine.WaitDurableAsync(result);
        }

        Assert.True(engine.Flush(TimeSpan.FromSeconds(60)), "the shards did not apply the stream within 60 s");
    }

    /// <summary>Every answer about every user the stream names, and the site's top items, as text.</summary>
    private static string Dump(FreshetEngine engine, int users)
    {
        var text = new StringBuilder();
        var keys = Enumerable.Range(0, users).Select(u => $"user-{u:D6}").Concat(Enumerable.Range(0, 300).Select(i => $"fresh-{i}")).Append("ticker");
        foreach (string key in keys)
        {
            var vector = engine.Reader.ReadVector("user", [key], new VectorQuery { Features = Features }).ValueOrThrow();
            text.Append(key).Append(':');
            foreach (var reading in vector.Readings)
            {
                text.Append(' ').Append(reading.Feature).Append('=').Append(Describe(reading.Value));
            }

            text.AppendLine();
        }

        var site = engine.Reader.ReadVector("site", [], new VectorQuery { Features = ["site_top_items"] }).ValueOrThrow();
        text.Append("site: ").AppendLine(Describe(site.Readings[0].Value));
        return text.ToString();
    }

    private static string Describe(Aggregation.FeatureValue value) => value.Items is { } items
        ? "[" + string.Join(",", items.Select(i => $"{i.Item}/{i.Value.ToString(CultureInfo.InvariantCulture)}")) + "]"
        : value.Number.ToString(CultureInfo.InvariantCulture);

    /// <summary>Copies a data directory as a crash at this moment would leave it (the files in it are synced and still).</summary>
    private static void CopyDirectory(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) != "LOCK")
            {
                using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var target = File.Create(file.Replace(from, to, StringComparison.Ordinal));
                source.CopyTo(target);
            }
        }
    }

    [Fact]
    public async Task Checkpoint_KeysWhoseTilesExpired_AreFreedJournaledAndNeverMeanAnotherString()
    {
        string directory = DurableEngine.NewDirectory();
        try
        {
            await using var engine = Open(directory);
            await IngestAsync(engine, Phase(0, 2000));
            await engine.CheckpointAsync();
            Assert.True(engine.Strings.TryGet("user-000042", out int old));
            int liveBefore = engine.Strings.LiveCount;

            await IngestAsync(engine, Phase(1, 2000));
            await engine.CheckpointAsync();
            Assert.Equal(0, engine.StringsFreed); // The first checkpoint, still kept (recovery may fall back to it), holds them.
            await IngestAsync(engine, Phase(1, 2000).Take(1));
            await engine.CheckpointAsync();

            // Every user's tiles expired: the 2,000 keys are freed (the items of the site's top-k too, but for the tick).
            Assert.True(engine.StringsFreed >= 2000, $"{engine.StringsFreed} ids freed, 2,000 users' keys expected");
            Assert.False(engine.Strings.TryGet("user-000042", out _));
            Assert.True(engine.Strings.IsFreed(old));
            Assert.True(engine.Strings.LiveCount <= liveBefore - 2000 + 2, $"{engine.Strings.LiveCount} live of {liveBefore} before");

            // The key seen again gets a new id and counts from zero; the freed id is never handed out again.
            await IngestAsync(engine, Phase(2, 2000));
            Assert.True(engine.Strings.TryGet("user-000042", out int again));
            Assert.NotEqual(old, again);
            Assert.True(engine.Strings.IsFreed(old));
            Assert.Equal(1, engine.Reader.ReadVector("user", ["user-000042"], new VectorQuery { Features = ["user_views"] }).ValueOrThrow().Readings[0].Value.Number);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Restart_AtEveryStepOfAFreeAndACompaction_AnswersAsAProcessThatNeverStopped()
    {
        const int users = 6000; // Enough strings that the journal is worth compacting once they are freed.
        string directory = DurableEngine.NewDirectory();
        string crashes = DurableEngine.NewDirectory();
        var points = new List<string>();
        bool armed = false;
        try
        {
            await using (var engine = Open(directory, point =>
            {
                if (armed && point is "checkpoint-manifest" or "strings-freed" or "strings-journaled" or "journal-compacted")
                {
                    string copy = Path.Combine(crashes, $"{points.Count:D2}-{point}");
                    CopyDirectory(directory, copy);
                    points.Add(copy);
                }
            }))
            {
                await IngestAsync(engine, Phase(0, users));
                await engine.CheckpointAsync();
                await IngestAsync(engine, Phase(1, users));
                await engine.CheckpointAsync();
                await IngestAsync(engine, Phase(1, users).Take(1));
                armed = true; // Every image holds the whole stream before phase 2, as the reference does.
                await engine.CheckpointAsync();
                armed = false;
                Assert.True(engine.StringsFreed >= users, $"{engine.StringsFreed} ids freed");
            }

            Assert.Contains(points, p => p.EndsWith("strings-freed", StringComparison.Ordinal));
            Assert.Contains(points, p => p.EndsWith("strings-journaled", StringComparison.Ordinal));
            Assert.Contains(points, p => p.EndsWith("journal-compacted", StringComparison.Ordinal));

            // The reference never stopped: the whole stream, in memory.
            string reference;
            await using (var memory = Open(directory: null))
            {
                await IngestAsync(memory, Phase(0, users));
                await IngestAsync(memory, Phase(1, users));
                await IngestAsync(memory, Phase(1, users).Take(1));
                await IngestAsync(memory, Phase(2, users));
                reference = Dump(memory, users);
            }

            // Each crash image and the cleanly stopped directory: reopened, fed the rest of the stream, then reopened again.
            foreach (string image in points.Append(directory))
            {
                string compacting = Path.Combine(image, IdJournal.FileName + ".compact");
                if (image.EndsWith("strings-journaled", StringComparison.Ordinal))
                {
                    // A crash during a compaction leaves its new file half-written beside the whole old one.
                    await File.WriteAllBytesAsync(compacting, Encoding.UTF8.GetBytes("FRSHTIDS half a compaction"));
                }

                await using (var reopened = Open(image))
                {
                    await IngestAsync(reopened, Phase(2, users));
                    Assert.True(reference == Dump(reopened, users), $"{Path.GetFileName(image)}: answers differ after a restart");
                    Assert.False(File.Exists(compacting));
                    await reopened.CheckpointAsync();
                }

                await using (var again = Open(image))
                {
                    Assert.True(reference == Dump(again, users), $"{Path.GetFileName(image)}: answers differ after a second restart");
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            Directory.Delete(crashes, recursive: true);
        }
    }

    /// <summary>
    /// A directory whose journal holds freed-ids records followed by more records (strings seen after the free), and
    /// the answers it must give; the engine stopped cleanly.
    /// </summary>
    private static async Task<(string Directory, string Expected)> ReclaimedDirectoryAsync()
    {
        string directory = DurableEngine.NewDirectory();
        await using var engine = Open(directory);
        await IngestAsync(engine, Phase(0, 2000));
        await engine.CheckpointAsync();
        await IngestAsync(engine, Phase(1, 2000));
        await engine.CheckpointAsync();
        await IngestAsync(engine, Phase(1, 2000).Take(1));
        await engine.CheckpointAsync();
        Assert.True(engine.StringsFreed >= 2000);
        await IngestAsync(engine, Phase(2, 2000));
        await engine.CheckpointAsync();
        return (directory, Dump(engine, 2000));
    }

    /// <summary>Positions and kinds of the journal's records.</summary>
    private static List<(int Position, byte Kind, int Length)> Records(string directory)
    {
        var records = new List<(int, byte, int)>();
        byte[] data = File.ReadAllBytes(Path.Combine(directory, IdJournal.FileName));
        IdJournal.Walk(data, (body, position) =>
        {
            records.Add((position, body[0], body.Length));
            return true;
        });
        return records;
    }

    [Fact]
    public async Task Check_JournalWithFreedIds_ReportsThemAndNoError()
    {
        var (directory, expected) = await ReclaimedDirectoryAsync();
        try
        {
            Assert.Contains(Records(directory), r => r.Kind == 3);
            var findings = DataDirectoryCheck.Run(directory);
            Assert.DoesNotContain(findings, f => f.Severity == CheckSeverity.Error);
            Assert.Contains(findings, f => f.Part == IdJournal.FileName && f.Message.Contains("more freed", StringComparison.Ordinal));
            await using var reopened = Open(directory);
            Assert.Equal(expected, Dump(reopened, 2000));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Open_FreedIdsRecordDamagedWithRecordsAfterIt_RefusesNamingTheJournalAndCheckAgrees()
    {
        var (directory, _) = await ReclaimedDirectoryAsync();
        try
        {
            var records = Records(directory);
            int freed = records.FindIndex(r => r.Kind == 3);
            Assert.True(freed >= 0 && freed < records.Count - 1, "a freed-ids record followed by others was expected");
            DurableEngine.FlipBit(Path.Combine(directory, IdJournal.FileName), records[freed].Position + 8 + (records[freed].Length / 2));

            var error = Assert.Throws<StorageException>(() => Open(directory));
            Assert.Equal(StorageProblem.Corrupt, error.Problem);
            Assert.Contains(IdJournal.FileName, error.Message, StringComparison.Ordinal);
            Assert.Contains(DataDirectoryCheck.Run(directory), f => f.Severity == CheckSeverity.Error && f.Part == IdJournal.FileName);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Open_FreedIdsRecordFreeingAnIdTwice_RefusesNamingTheJournalAndCheckAgrees()
    {
        var (directory, _) = await ReclaimedDirectoryAsync();
        try
        {
            // A whole, checksummed record that frees ids already freed: not damage a crash can cause, and loading it
            // would leave the journal's ids meaning something else than the checkpoints expect.
            string path = Path.Combine(directory, IdJournal.FileName);
            var record = Records(directory).First(r => r.Kind == 3);
            byte[] data = File.ReadAllBytes(path);
            await File.AppendAllBytesAsync(path, data.AsSpan(record.Position, 8 + record.Length).ToArray());

            var error = Assert.Throws<StorageException>(() => Open(directory));
            Assert.Equal(StorageProblem.Corrupt, error.Problem);
            Assert.Contains("not live", error.Message, StringComparison.Ordinal);
            Assert.Contains(DataDirectoryCheck.Run(directory), f => f.Severity == CheckSeverity.Error && f.Part == IdJournal.FileName
                && f.Message.Contains("not live", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Open_JournalCutInsideItsLastFreedIdsRecord_CutsItAndAnswersExactly()
    {
        string directory = DurableEngine.NewDirectory();
        string image = DurableEngine.NewDirectory();
        try
        {
            string expected;
            await using (var engine = Open(directory, point =>
            {
                if (point == "strings-journaled")
                {
                    CopyDirectory(directory, image);
                }
            }))
            {
                await IngestAsync(engine, Phase(0, 2000));
                await engine.CheckpointAsync();
                await IngestAsync(engine, Phase(1, 2000));
                await engine.CheckpointAsync();
                await IngestAsync(engine, Phase(1, 2000).Take(1));
                await engine.CheckpointAsync();
                Assert.True(Directory.Exists(image), "the free was not journaled");
            }

            // A crash during the freed-ids record's write: its last bytes never reached the disk.
            var last = Records(image)[^1];
            Assert.Equal(3, last.Kind);
            string path = Path.Combine(image, IdJournal.FileName);
            using (var file = new FileStream(path, FileMode.Open))
            {
                file.SetLength(last.Position + 8 + last.Length - 3);
            }

            Assert.Contains(DataDirectoryCheck.Run(image), f => f.Severity == CheckSeverity.Warning && f.Part == IdJournal.FileName);
            await using (var memory = Open(directory: null))
            {
                await IngestAsync(memory, Phase(0, 2000));
                await IngestAsync(memory, Phase(1, 2000));
                await IngestAsync(memory, Phase(1, 2000).Take(1));
                await IngestAsync(memory, Phase(2, 2000));
                expected = Dump(memory, 2000);
            }

            await using (var reopened = Open(image))
            {
                Assert.Contains(reopened.Recovery!.Notes, n => n.Contains(IdJournal.FileName, StringComparison.Ordinal));
                Assert.True(reopened.Strings.TryGet("user-000042", out _), "the cut free should leave the id live");
                await IngestAsync(reopened, Phase(2, 2000));
                Assert.Equal(expected, Dump(reopened, 2000));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
            Directory.Delete(image, recursive: true);
        }
    }

    [Fact]
    public async Task Query_RacingFreesOfExpiredKeysAndItems_NeverShowsAWrongString()
    {
        string directory = DurableEngine.NewDirectory();
        try
        {
            await using var engine = Open(directory);
            int round = 0;
            long reads = 0;
            using var stop = new CancellationTokenSource();
            var reader = Task.Run(() =>
            {
                var random = new Random(7);
                while (!stop.IsCancellationRequested)
                {
                    int r = random.Next(Volatile.Read(ref round) + 1), j = random.Next(200);
                    // The clock may jump an hour (past the 30-minute retention) between planning a read at "now" and
                    // reading the shard: a refusal (out of range), never a wrong string. Plan again.
                    var vector = engine.Reader.ReadVector("user", [$"u-{r}-{j}"], new VectorQuery { Features = ["user_last_item", "user_recent_items"] });
                    if (vector.Status == ReadStatus.OutOfRange)
                    {
                        continue;
                    }

                    foreach (var reading in vector.ValueOrThrow().Readings)
                    {
                        // Each user viewed one item, named after it: any other string is an id read as another string.
                        foreach (var item in reading.Value.Items ?? [])
                        {
                            Assert.Equal($"item-{r}-{j}", item.Item);
                        }
                    }

                    var site = engine.Reader.ReadVector("site", [], new VectorQuery { Features = ["site_top_items"] });
                    if (site.Status == ReadStatus.OutOfRange)
                    {
                        continue;
                    }

                    foreach (var item in site.ValueOrThrow().Readings[0].Value.Items ?? [])
                    {
                        Assert.True(item.Item is not null && item.Item.StartsWith("item-", StringComparison.Ordinal), $"top-k item '{item.Item}'");
                    }

                    Interlocked.Increment(ref reads);
                }
            });

            for (int r = 0; r < 12; r++)
            {
                Volatile.Write(ref round, r);
                await IngestAsync(engine, Enumerable.Range(0, 200).Select(j => View(T0 + (r * Duration.Hour) + j, $"u-{r}-{j}", $"item-{r}-{j}")));
                await engine.CheckpointAsync();
            }

            await stop.CancelAsync();
            await reader;
            Assert.True(engine.StringsFreed >= 1000, $"{engine.StringsFreed} ids freed while reading");
            Assert.True(Interlocked.Read(ref reads) > 10, $"only {reads} reads raced the frees");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("site", "top_k, k: 3")]
    [InlineData("user", "last_k, k: 3")]
    [InlineData("user", "last")]
    public async Task Checkpoint_ItemsOnlyAStateHolds_StayAcrossFreesAndRestarts(string entity, string aggregation)
    {
        string yaml = $$"""
            settings: { clock: event_time, allowed_lateness: 5m, max_future: 5m, tiles: [{ resolution: 1m, keep: 30m }] }
            entities: { user: user, site: [] }
            features:
              items: { entity: {{entity}}, events: [view], aggregation: {{aggregation}}, field: item, windows: [30m] }
            """;
        string directory = DurableEngine.NewDirectory();
        FreshetEngine OpenItems() => FreshetEngine.Create(FeatureDefinitionLoader.Parse(yaml, "test.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Day)),
            Storage = new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero },
        });
        string Items(FreshetEngine engine) =>
            Describe(engine.Reader.ReadVector(entity, entity == "site" ? [] : ["a"], new VectorQuery { Features = ["items"] }).ValueOrThrow().Readings[0].Value);
        try
        {
            string expected;
            await using (var engine = OpenItems())
            {
                // The items are seen once, at minute 0, by user a; later only user b views, another item, while the
                // tile holding them is still kept: their ids are stamped long before the checkpoints that follow.
                await IngestAsync(engine, Enumerable.Range(0, 99).Select(i => View(T0 + i, "a", $"kept-{i % 3}")));
                expected = Items(engine);
                Assert.Contains("kept-", expected, StringComparison.Ordinal);
                for (int round = 1; round <= 4; round++)
                {
                    await IngestAsync(engine, Enumerable.Range(0, 5).Select(i => View(T0 + (round * Duration.Minute) + i, "b", "tick")));
                    await engine.CheckpointAsync();
                }

                Assert.Equal(expected, Items(engine));
            }

            await using (var reopened = OpenItems())
            {
                Assert.Equal(expected, Items(reopened));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
