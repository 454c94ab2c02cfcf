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
    /// <summary>The manifest's part name in a checkpoint.</summary>
    public const string FileName = "manifest";
    // Version 2 stores the dedup window as time-bucketed generations of ids; version 1 (two tables) is still read.
    private const int Version = 2;
    private static ReadOnlySpan<byte> Magic => "FRSHTMAN"u8;

    /// <summary>The part name of shard <paramref name="shard"/>'s state in a checkpoint.</summary>
    public static string ShardPartName(int shard) => $"shard-{shard:D3}";

    /// <summary>Writes the manifest to a new file at <paramref name="path"/> and syncs it.</summary>
    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        Write(stream);
    }

    /// <summary>
    /// Writes the manifest to <paramref name="stream"/> (the checkpoint's manifest part) and syncs it. The checkpoint
    /// commits only after all its parts are written, so the manifest needs no temporary file of its own.
    /// </summary>
    public void Write(Stream stream)
    {
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

        Dedup.Write(w);
        w.Complete();
    }

    /// <summary>Reads and checks a manifest; throws <see cref="StorageException"/> (corrupt) when it is damaged.</summary>
    public static CheckpointManifest Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads and checks a manifest from <paramref name="stream"/>; <paramref name="path"/> names it in messages.</summary>
    public static CheckpointManifest Read(Stream stream, string path)
    {
        int version = PeekVersion(stream);
        using var r = new BlockFileReader(stream, path, Magic, version);
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

        // Format 1's window has no per-generation times; the checkpoint's clock (event time, or the wall clock) bounds them.
        var dedup = version == 1 ? DedupSnapshot.ReadVersion1(r, now == long.MinValue ? created : now) : DedupSnapshot.Read(r);
        r.ExpectEnd();
        return new CheckpointManifest(offset, created, shards, now, strings, keys, accepted, duplicates, without, features, dedup);
    }

    /// <summary>
    /// The format version in the header (bytes 8–11), when it is one this build reads; otherwise this build's, so the
    /// reader reports the mismatch (and checks the header's checksum) as usual.
    /// </summary>
    private static int PeekVersion(Stream stream)
    {
        Span<byte> header = stackalloc byte[12];
        int read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        int found = read == header.Length ? System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(header[8..]) : Version;
        return found is 1 or Version ? found : Version;
    }
}
