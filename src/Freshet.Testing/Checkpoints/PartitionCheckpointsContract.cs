using Freshet.Seams;

namespace Freshet.Testing.Checkpoints;

/// <summary>
/// What every <see cref="IPartitionCheckpoints"/> must do: checkpoints listed newest first per partition, parts that
/// read back byte for byte, saves that are all or nothing (a save whose writer throws leaves no trace), pruning that
/// keeps the newest, and everything committed still there after a reopen. The file checkpoints of the embedded engine
/// and the throwaway in-memory ones pass it; a Redis-backed store (issue 15) will derive from it. <see cref="Open"/>
/// returns empty storage on its first call in a test and the same storage reopened on later calls.
/// </summary>
public abstract class PartitionCheckpointsContract : IDisposable
{
    /// <summary>Partitions of the store under test.</summary>
    protected virtual int Partitions => 2;

    /// <summary>The store of <paramref name="partitions"/> partitions: empty the first time in a test, then the same storage reopened.</summary>
    protected abstract IPartitionCheckpoints Open(int partitions);

    [Fact]
    public void List_NothingSaved_IsEmpty()
    {
        var store = Open(Partitions);

        for (int p = 0; p < Partitions; p++)
        {
            Assert.Empty(store.List(p));
        }
    }

    [Fact]
    public async Task Save_SeveralPositions_ListsThemNewestFirstInTheirPartitionOnly()
    {
        var store = Open(Partitions);
        int p = Partitions - 1;
        foreach (long offset in new long[] { 10, 30, 20 })
        {
            var saved = await Save(store, p, offset, ("manifest", Bytes(offset, 100)));
            Assert.Equal(p, saved.Partition);
            Assert.Equal(new LogPosition(offset), saved.Position);
        }

        var listed = store.List(p);

        Assert.Equal([30L, 20L, 10L], listed.Select(c => c.Position.Offset));
        Assert.All(listed, c => Assert.Equal(p, c.Partition));
        Assert.Equal(3, listed.Select(c => c.Name).Distinct(StringComparer.Ordinal).Count());
        for (int other = 0; other < p; other++)
        {
            Assert.Empty(store.List(other));
        }
    }

    [Fact]
    public async Task Parts_ReadBackByteForByte_AndAMissingPartSaysSo()
    {
        var store = Open(Partitions);
        var manifest = Bytes(1, 300);
        var large = Bytes(2, 3 << 20);
        var empty = Array.Empty<byte>();
        await Save(store, 0, 1_234, ("manifest", manifest), ("shard-000", large), ("shard-001", empty));

        var checkpoint = Assert.Single(store.List(0));

        Assert.Equal(manifest, ReadPart(store, checkpoint, "manifest"));
        Assert.Equal(large, ReadPart(store, checkpoint, "shard-000"));
        Assert.Equal(empty, ReadPart(store, checkpoint, "shard-001"));
        Assert.False(store.TryOpenPart(checkpoint, "shard-002", out _));
    }

    [Fact]
    public async Task Save_CallsTheWriterOnTheCallersThreadBeforeItReturns()
    {
        var store = Open(Partitions);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new object();
        bool underTheCallersLock = false;

        Task<PartitionCheckpoint> save;
        lock (gate)
        {
            // The engine starts a save under its ingest lock and hands its marker to the shards in the writer's
            // synchronous part: that part must run here, on this thread, while the lock is held.
            save = store.SaveAsync(0, new LogPosition(5), async (writer, _) =>
            {
                underTheCallersLock = Monitor.IsEntered(gate);
                await release.Task;
                await using var part = writer.CreatePart("manifest");
                part.WriteByte(1);
            });
        }

        Assert.True(underTheCallersLock, "SaveAsync did not call the writer on the caller's thread before it returned");
        Assert.False(save.IsCompleted);
        Assert.Empty(store.List(0)); // Not committed while its parts are being written.
        release.SetResult();
        await save;
        Assert.Single(store.List(0));
    }

    [Fact]
    public async Task Save_PartsWrittenFromSeveralThreads_AreAllKept()
    {
        var store = Open(Partitions);
        await store.SaveAsync(0, new LogPosition(77), (writer, _) => Task.WhenAll(Enumerable.Range(0, 8).Select(shard => Task.Run(() =>
        {
            using var part = writer.CreatePart($"shard-{shard:D3}");
            part.Write(Bytes(shard, 50_000 + shard));
        }))));

        var checkpoint = Assert.Single(store.List(0));
        for (int shard = 0; shard < 8; shard++)
        {
            Assert.Equal(Bytes(shard, 50_000 + shard), ReadPart(store, checkpoint, $"shard-{shard:D3}"));
        }
    }

    [Fact]
    public async Task Save_WriterThrowsMidway_LeavesNoCheckpointAndTheOlderOneIntact()
    {
        var store = Open(Partitions);
        await Save(store, 0, 100, ("manifest", Bytes(100, 64)));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.SaveAsync(0, new LogPosition(200), (writer, _) =>
        {
            using (var part = writer.CreatePart("shard-000"))
            {
                part.Write(Bytes(200, 10_000));
            }

            var half = writer.CreatePart("manifest");
            half.Write(Bytes(200, 10));
            throw new InvalidOperationException("the shard failed");
        }));

        Assert.Equal("the shard failed", error.Message);
        var listed = Assert.Single(store.List(0));
        Assert.Equal(new LogPosition(100), listed.Position);
        Assert.Equal(Bytes(100, 64), ReadPart(store, listed, "manifest"));
        // Nor is there a trace after a reopen.
        var reopened = Open(Partitions);
        Assert.Equal([100L], reopened.List(0).Select(c => c.Position.Offset));
        // A later save at that position works.
        await Save(reopened, 0, 200, ("manifest", Bytes(7, 7)));
        Assert.Equal([200L, 100L], reopened.List(0).Select(c => c.Position.Offset));
    }

    [Fact]
    public async Task Save_DuplicatePartName_IsRefused()
    {
        var store = Open(Partitions);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.SaveAsync(0, new LogPosition(1), (writer, _) =>
        {
            writer.CreatePart("manifest").Dispose();
            writer.CreatePart("manifest").Dispose();
            return Task.CompletedTask;
        }));
        Assert.Empty(store.List(0));
    }

    [Fact]
    public async Task Prune_KeepsTheNewest_AndReturnsTheOldestKept()
    {
        var store = Open(Partitions);
        Assert.Null(store.Prune(0, 2));
        foreach (long offset in new long[] { 5, 15, 25, 35, 45 })
        {
            await Save(store, 0, offset, ("manifest", Bytes(offset, 10)));
        }

        if (Partitions > 1)
        {
            await Save(store, 1, 3, ("manifest", Bytes(3, 10)));
        }

        Assert.Equal(new LogPosition(35), store.Prune(0, 2));

        Assert.Equal([45L, 35L], store.List(0).Select(c => c.Position.Offset));
        Assert.Equal(Bytes(35, 10), ReadPart(store, store.List(0)[1], "manifest"));
        Assert.Equal(new LogPosition(35), store.Prune(0, 5)); // Fewer than asked: all kept, the oldest returned.
        if (Partitions > 1)
        {
            Assert.Single(store.List(1));
        }
    }

    [Fact]
    public async Task Reopen_ListsEveryCommittedCheckpointWithItsParts()
    {
        var store = Open(Partitions);
        await Save(store, 0, 40, ("manifest", Bytes(40, 99)), ("shard-000", Bytes(41, 5_000)));
        await Save(store, Partitions - 1, 9, ("manifest", Bytes(9, 12)));

        var reopened = Open(Partitions);

        var checkpoint = Assert.Single(reopened.List(0), c => c.Position == new LogPosition(40));
        Assert.Equal(Bytes(41, 5_000), ReadPart(reopened, checkpoint, "shard-000"));
        Assert.Contains(reopened.List(Partitions - 1), c => c.Position == new LogPosition(9));
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Override to delete what <see cref="Open"/> created.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    private static Task<PartitionCheckpoint> Save(IPartitionCheckpoints store, int partition, long offset, params (string Name, byte[] Bytes)[] parts) =>
        store.SaveAsync(partition, new LogPosition(offset), (writer, _) =>
        {
            foreach (var (name, bytes) in parts)
            {
                using var part = writer.CreatePart(name);
                part.Write(bytes);
            }

            return Task.CompletedTask;
        });

    private static byte[] ReadPart(IPartitionCheckpoints store, PartitionCheckpoint checkpoint, string name)
    {
        Assert.True(store.TryOpenPart(checkpoint, name, out var part), $"the checkpoint at {checkpoint.Position} has no part '{name}'");
        using (part)
        {
            using var copy = new MemoryStream();
            part.CopyTo(copy);
            return copy.ToArray();
        }
    }

    private static byte[] Bytes(long seed, int count)
    {
        var bytes = new byte[count];
        new Random((int)seed).NextBytes(bytes);
        return bytes;
    }
}
