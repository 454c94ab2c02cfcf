using System.Globalization;
using Freshet.Engine.Storage;

namespace Freshet.Engine.Checkpoints;

/// <summary>
/// The checkpoint folders of a data directory: <c>checkpoints/00000000000000012345/</c> holds a manifest and one file
/// per shard, all for log offset 12345. A checkpoint is written into <c>…/00000000000000012345.tmp/</c> and renamed
/// into place when complete (the rename is the commit), so a folder without <c>.tmp</c> was complete when written.
/// </summary>
internal sealed class CheckpointStore(string directory)
{
    private const string TemporarySuffix = ".tmp";

    public string Directory { get; } = directory;

    public static string ShardFileName(int shard) => $"shard-{shard:D3}";

    /// <summary>Committed checkpoints, newest first, as (offset, folder).</summary>
    public List<(long Offset, string Path)> List()
    {
        var result = new List<(long, string)>();
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory))
        {
            string name = Path.GetFileName(path);
            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            {
                result.Add((offset, path));
            }
        }

        result.Sort((a, b) => b.Item1.CompareTo(a.Item1));
        return result;
    }

    /// <summary>Deletes checkpoints that a crash left half-written; returns their names.</summary>
    public List<string> RemoveIncomplete()
    {
        var removed = new List<string>();
        foreach (string path in System.IO.Directory.EnumerateDirectories(Directory, "*" + TemporarySuffix))
        {
            System.IO.Directory.Delete(path, recursive: true);
            removed.Add(Path.GetFileName(path));
        }

        if (removed.Count > 0)
        {
            DurableFiles.SyncDirectory(Directory);
        }

        return removed;
    }

    /// <summary>A fresh temporary folder for the checkpoint of <paramref name="offset"/>.</summary>
    public string Begin(long offset)
    {
        string path = Path.Combine(Directory, Name(offset) + TemporarySuffix);
        if (System.IO.Directory.Exists(path))
        {
            System.IO.Directory.Delete(path, recursive: true);
        }

        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Makes a complete temporary folder the checkpoint of <paramref name="offset"/> (atomic rename, synced).</summary>
    public string Commit(string temporary, long offset)
    {
        DurableFiles.SyncDirectory(temporary);
        string final = Path.Combine(Directory, Name(offset));
        if (System.IO.Directory.Exists(final))
        {
            System.IO.Directory.Delete(final, recursive: true);
        }

        System.IO.Directory.Move(temporary, final);
        DurableFiles.SyncDirectory(Directory);
        return final;
    }

    /// <summary>Keeps the newest <paramref name="keep"/> checkpoints; returns the offset of the oldest one kept (or null).</summary>
    public long? Prune(int keep)
    {
        var all = List();
        for (int i = keep; i < all.Count; i++)
        {
            System.IO.Directory.Delete(all[i].Path, recursive: true);
        }

        if (all.Count > keep)
        {
            DurableFiles.SyncDirectory(Directory);
        }

        return all.Count == 0 ? null : all[Math.Min(keep, all.Count) - 1].Offset;
    }

    private static string Name(long offset) => offset.ToString("D20", CultureInfo.InvariantCulture);
}
