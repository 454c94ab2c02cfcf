using System.Runtime.InteropServices;
using Freshet.Engine.Checkpoints;
using Freshet.Engine.Ingest;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Storage;
using Freshet.Time;

namespace Freshet.Engine.Tests.Ingest;

/// <summary>The dedup window in checkpoint manifests: format 2 round-trips its generations, format 1 (two tables) still loads.</summary>
public sealed class DedupManifestTests : DataDirectoryTest
{
    [Fact]
    public void Read_Format2_RestoresEveryGenerationAndItsTimes()
    {
        string path = Path.Combine(Track(DurableEngine.NewDirectory()), "manifest");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var window = new DedupWindow(10 * Duration.Minute, 1 << 20);
        for (int t = 0; t < 5; t++)
        {
            long now = t * 2 * Duration.Minute;
            Assert.True(window.TryReserve(100, now));
            for (ulong i = 1; i <= 100; i++)
            {
                Assert.True(window.TryAdd(((ulong)t << 32) + i, now));
            }
        }

        Manifest(window.Capture()).Write(path);
        var restored = new DedupWindow(10 * Duration.Minute, 1 << 20);
        restored.Restore(CheckpointManifest.Read(path).Dedup);

        Assert.Equal(500, restored.Count);
        Assert.Equal(9 * Duration.Minute, restored.CoveredMs(9 * Duration.Minute));
        Assert.False(restored.TryAdd((4UL << 32) + 7, 9 * Duration.Minute));
        // The first generation (a quarter of the horizon: the ids at 0 and 2 min) is a horizon old at 12 min and expires.
        Assert.False(restored.TryAdd((0UL << 32) + 7, 11 * Duration.Minute));
        Assert.True(restored.TryAdd((0UL << 32) + 8, 12 * Duration.Minute));
    }

    [Fact]
    public void Read_Format1_LoadsBothOldGenerations()
    {
        string path = Path.Combine(Track(DurableEngine.NewDirectory()), "manifest");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        long start = 1_000_000, clock = start + (4 * Duration.Minute);
        using (var stream = new FileStream(path, FileMode.CreateNew))
        using (var w = new BlockFileWriter(stream, "FRSHTMAN"u8, 1))
        {
            w.WriteInt64(42); // offset
            w.WriteInt64(clock); // created
            w.WriteInt32(2); // shards
            w.WriteInt64(clock); // now
            w.WriteInt32(0); // strings
            w.WriteInt32(0); // key tables
            w.WriteInt64(3); // accepted
            w.WriteInt64(0); // duplicates
            w.WriteInt64(0); // without features
            w.WriteInt32(0); // features
            w.WriteInt64(start); // the current generation's start
            w.WriteInt64(0); // early turns
            WriteTable(w, [0, 11, 0, 0, 0, 12, 0, 0]);
            WriteTable(w, [0, 0, 0, 21, 0, 0, 0, 0]);
            w.Complete();
        }

        var window = new DedupWindow(10 * Duration.Minute, 1 << 20);
        window.Restore(CheckpointManifest.Read(path).Dedup);

        Assert.Equal(3, window.Count);
        Assert.False(window.TryAdd(11, clock + Duration.Minute));
        Assert.False(window.TryAdd(21, clock + Duration.Minute));
        Assert.True(window.TryAdd(31, clock + Duration.Minute));
    }

    private static void WriteTable(BlockFileWriter w, ulong[] slots)
    {
        w.WriteInt32(slots.Length);
        w.WriteInt32(slots.Count(s => s != 0));
        w.WriteBytes(MemoryMarshal.AsBytes(slots.AsSpan()));
    }

    private static CheckpointManifest Manifest(DedupSnapshot dedup) =>
        new(42, 0, 2, 0, 0, new Dictionary<string, int>(), 3, 0, 0, [], dedup);
}
