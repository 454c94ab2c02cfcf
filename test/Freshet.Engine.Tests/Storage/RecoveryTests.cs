using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Oracle;

namespace Freshet.Engine.Tests.Storage;

/// <summary>
/// A restarted engine answers exactly as one that never stopped: after a clean shutdown, after a crash (the data
/// directory copied while the engine runs, as a kill would leave it), from a checkpoint plus the log after it, and
/// with a different shard count.
/// </summary>
public sealed class RecoveryTests : DataDirectoryTest
{
    [Fact]
    public async Task Open_AfterCleanShutdown_AnswersExactlyAsAnEngineThatNeverStopped()
    {
        var events = OracleStream.Generate(11, 8_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string expected = await ReferenceAsync(events);

        await using (var engine = DurableEngine.Open(directory))
        {
            Assert.True(engine.Recovery!.Created);
            await DurableEngine.IngestAsync(engine, events, seed: 1);
        }

        await using var reopened = DurableEngine.Open(directory);
        Assert.False(reopened.Recovery!.Created);
        Assert.NotNull(reopened.Recovery.CheckpointOffset);
        Assert.Equal(0, reopened.Recovery.ReplayedEvents);
        Assert.Equal(expected, DurableEngine.Dump(reopened));
    }

    [Fact]
    public async Task Open_AfterACrashWithoutAnyCheckpoint_ReplaysTheWholeLog()
    {
        var events = OracleStream.Generate(12, 6_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string expected = await ReferenceAsync(events);
        string crashed = NewDirectory();

        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 2);
            DurableEngine.CopyDirectory(directory, crashed); // What a kill -9 would leave: every acknowledged event is in the log.
        }

        await using var recovered = DurableEngine.Open(crashed);
        Assert.Null(recovered.Recovery!.CheckpointOffset);
        Assert.Equal(recovered.GetStats().Accepted, recovered.Recovery.ReplayedEvents);
        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Fact]
    public async Task Open_AfterACrashPastACheckpoint_LoadsItAndReplaysOnlyWhatFollowed()
    {
        var events = OracleStream.Generate(13, 8_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string expected = await ReferenceAsync(events);
        string crashed = NewDirectory();
        long checkpoint;

        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events.Take(5_000).ToList(), seed: 3);
            checkpoint = (await engine.CheckpointAsync())!.Value;
            await DurableEngine.IngestAsync(engine, events.Skip(5_000).ToList(), seed: 4);
            DurableEngine.CopyDirectory(directory, crashed);
        }

        await using var recovered = DurableEngine.Open(crashed);
        Assert.Equal(checkpoint, recovered.Recovery!.CheckpointOffset);
        Assert.Equal(checkpoint, recovered.Recovery.ReplayedFromOffset);
        Assert.True(recovered.Recovery.ReplayedEvents > 0 && recovered.Recovery.ReplayedEvents < recovered.GetStats().Accepted,
            $"replayed {recovered.Recovery.ReplayedEvents} of {recovered.GetStats().Accepted}");
        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    public async Task Open_WithAnotherShardCount_MovesTilesToTheShardsThatOwnThemNow(int before, int after)
    {
        var events = OracleStream.Generate(14, 6_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string expected = await ReferenceAsync(events);

        await using (var engine = DurableEngine.Open(directory, before))
        {
            await DurableEngine.IngestAsync(engine, events.Take(4_000).ToList(), seed: 5);
            await engine.CheckpointAsync();
            await DurableEngine.IngestAsync(engine, events.Skip(4_000).ToList(), seed: 6);
            DurableEngine.CopyDirectory(directory, directory + "-crashed");
            Track(directory + "-crashed");
        }

        await using var recovered = DurableEngine.Open(directory + "-crashed", after);
        Assert.Contains(recovered.Recovery!.Notes, n => n.Contains($"has {before} shards and this engine {after}", StringComparison.Ordinal));
        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Fact]
    public async Task Ingest_RetryAfterARestart_IsCountedOnce()
    {
        var events = OracleStream.Generate(15, 3_000, DurableEngine.Wall);
        string directory = NewDirectory();
        string expected = await ReferenceAsync(events);
        string crashed = NewDirectory();

        await using (var engine = DurableEngine.Open(directory))
        {
            await DurableEngine.IngestAsync(engine, events, seed: 7);
            await engine.CheckpointAsync();
            DurableEngine.CopyDirectory(directory, crashed);
        }

        await using var recovered = DurableEngine.Open(crashed);
        long accepted = recovered.GetStats().Accepted;
        await DurableEngine.IngestAsync(recovered, events.Skip(1_000).Take(1_500).ToList(), seed: 8); // the client resends what it was unsure of
        Assert.Equal(accepted, recovered.GetStats().Accepted);
        Assert.Equal(expected, DurableEngine.Dump(recovered));
    }

    [Fact]
    public async Task Open_WhileAnotherEngineHasTheDirectory_IsRefusedWithTheReason()
    {
        string directory = NewDirectory();
        await using var engine = DurableEngine.Open(directory);

        var error = Assert.Throws<StorageException>(() => DurableEngine.Open(directory));

        Assert.Equal(StorageProblem.Locked, error.Problem);
        Assert.Contains("in use by another Freshet process", error.Message, StringComparison.Ordinal);
    }

    private static Task<string> ReferenceAsync(List<RawEvent> events) => DurableEngine.ReferenceAsync(events);
}
