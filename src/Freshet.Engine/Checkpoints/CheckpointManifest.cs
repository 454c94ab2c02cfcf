using Freshet.Engine.Ingest;
using Freshet.Engine.Storage;

namespace Freshet.Engine.Checkpoints;

/// <summary>
/// The engine-wide part of a checkpoint: the log offset it reflects, the router's clock and dedup window, the counters,
/// and how many journaled ids its shard files need. Written last, so a checkpoint folder with a valid manifest has
/// every shard file it names (each still checked on its own when loaded).
/// </summary>
internal sealed record CheckpointManifest(
    long Offset,
    long CreatedMs,
    int ShardCount,
    long NowMs,
    int StringCount,
    IReadOnlyDictionary<string, int> KeyCounts,
    long Accepted,
    long Duplicates,
    long EventsWithoutFeatures,
    IReadOnlyList<(string Name, string StateFingerprint)> Features,
    DedupSnapshot Dedup)
{
    public const string FileName = "manifest";
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "FRSHTMAN"u8;

    /// <summary>
    /// Writes the manifest and syncs it. It goes into the checkpoint's temporary folder, whose rename is the commit, so
    /// it needs no temporary file of its own.
    /// </summary>
    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var w = new BlockFileWriter(stream, Magic, Version);
        w.WriteInt64(Offset);
        w.WriteInt64(CreatedMs);
        w.WriteInt32(ShardCount);
        w.WriteInt64(NowMs);
        w.WriteInt32(StringCount);
        w.WriteInt32(KeyCounts.Count);
        foreach (var (name, count) in KeyCounts)
        {
            w.WriteString(name);
            w.WriteInt32(count);
        }

        w.WriteInt64(Accepted);
        w.WriteInt64(Duplicates);
        w.WriteInt64(EventsWithoutFeatures);
        w.WriteInt32(Features.Count);
        foreach (var (name, fingerprint) in Features)
        {
            w.WriteString(name);
            w.WriteString(fingerprint);
        }

        w.WriteInt64(Dedup.CurrentStartMs);
        w.WriteInt64(Dedup.EarlyTurns);
        WriteSet(w, Dedup.Current, Dedup.CurrentCount);
        WriteSet(w, Dedup.Previous, Dedup.PreviousCount);
        w.Complete();
    }

    /// <summary>Reads and checks a manifest; throws <see cref="StorageException"/> (corrupt) when it is damaged.</summary>
    public static CheckpointManifest Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var r = new BlockFileReader(stream, path, Magic, Version);
        long offset = r.ReadInt64();
        long created = r.ReadInt64();
        int shards = r.ReadInt32();
        long now = r.ReadInt64();
        int strings = r.ReadInt32();
        int tables = r.ReadInt32();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tables; i++)
        {
            keys[r.ReadString()] = r.ReadInt32();
        }

        long accepted = r.ReadInt64();
        long duplicates = r.ReadInt64();
        long without = r.ReadInt64();
        int featureCount = r.ReadInt32();
        var features = new List<(string, string)>(featureCount);
        for (int i = 0; i < featureCount; i++)
        {
            features.Add((r.ReadString(), r.ReadString()));
        }

        long dedupStart = r.ReadInt64();
        long earlyTurns = r.ReadInt64();
        var (current, currentCount) = ReadSet(r);
        var (previous, previousCount) = ReadSet(r);
        r.ExpectEnd();
        return new CheckpointManifest(offset, created, shards, now, strings, keys, accepted, duplicates, without, features,
            new DedupSnapshot(dedupStart, earlyTurns, current, currentCount, previous, previousCount));
    }

    private static void WriteSet(BlockFileWriter w, ulong[] slots, int count)
    {
        w.WriteInt32(slots.Length);
        w.WriteInt32(count);
        w.WriteBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(slots.AsSpan()));
    }

    private static (ulong[] Slots, int Count) ReadSet(BlockFileReader r)
    {
        int length = r.ReadInt32();
        int count = r.ReadInt32();
        if (length is < 0 or > 1 << 28 || count < 0 || count > length)
        {
            throw r.Corrupt($"a dedup table of {length} slots holding {count} ids");
        }

        var slots = new ulong[length];
        r.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(slots.AsSpan()));
        return (slots, count);
    }
}
