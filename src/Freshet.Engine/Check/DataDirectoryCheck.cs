using System.Buffers.Binary;
using Freshet.Engine.Checkpoints;
using Freshet.Engine.Log;
using Freshet.Engine.Shards;
using Freshet.Engine.Storage;

namespace Freshet.Engine.Check;

/// <summary>How serious a finding of <see cref="DataDirectoryCheck"/> is.</summary>
public enum CheckSeverity
{
    /// <summary>What was found, for the record.</summary>
    Info,

    /// <summary>Recovery handles it on its own (a torn tail, a damaged checkpoint with a good older one).</summary>
    Warning,

    /// <summary>Recovery would refuse to start, or would have to give up acknowledged events.</summary>
    Error,
}

/// <summary>One finding: what part of the directory, and what was found there.</summary>
public sealed record CheckFinding(CheckSeverity Severity, string Part, string Message);

/// <summary>
/// Verifies a data directory without changing it (<c>freshet check</c>): the id journal, every checkpoint's manifest
/// and shard files, and every log record of every segment (checksums, offsets in sequence, no gaps), then whether
/// the log still covers what the checkpoints need. Says what is wrong and whether recovery would cope.
/// </summary>
public static class DataDirectoryCheck
{
    public static IReadOnlyList<CheckFinding> Run(string path)
    {
        var findings = new List<CheckFinding>();
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            findings.Add(new(CheckSeverity.Error, full, "no such directory"));
            return findings;
        }

        CheckLock(full, findings);
        var journal = CheckJournal(Path.Combine(full, IdJournal.FileName), findings);
        var checkpoints = CheckCheckpoints(Path.Combine(full, "checkpoints"), journal, findings);
        long syncedThrough = Directory.Exists(Path.Combine(full, "checkpoints"))
            ? new FileCheckpoints(Path.Combine(full, "checkpoints")).List(0).Select(c => c.Position.Offset).DefaultIfEmpty(0).Max()
            : 0;
        // Recovery replays from the newest usable checkpoint: segments wholly before it are not read at start.
        long replayFrom = checkpoints.Count > 0 ? checkpoints.Max() : 0;
        var log = CheckLog(Path.Combine(full, "log"), syncedThrough, replayFrom, findings);
        CheckCoverage(checkpoints, syncedThrough, log, findings);
        return findings;
    }

    private static void CheckLock(string directory, List<CheckFinding> findings)
    {
        string path = Path.Combine(directory, "LOCK");
        if (!File.Exists(path))
        {
            return;
        }

        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, 1);
        }
        catch (IOException)
        {
            findings.Add(new(CheckSeverity.Info, "LOCK", "a running Freshet process has this directory open; its newest files may still be changing"));
        }
    }

    /// <summary>Strings and composite-key counts the journal holds (null when it is unreadable).</summary>
    private static (int Strings, Dictionary<string, int> Keys)? CheckJournal(string path, List<CheckFinding> findings)
    {
        string part = IdJournal.FileName;
        if (!File.Exists(path))
        {
            findings.Add(new(CheckSeverity.Info, part, "absent (nothing was ever checkpointed)"));
            return (1, []);
        }

        byte[] data = File.ReadAllBytes(path);
        if (!IdJournal.HasHeader(data))
        {
            findings.Add(new(CheckSeverity.Error, part, data.Length < 16 ? "shorter than its header" : "it does not start with a version-1 'FRSHTIDS' header"));
            return null;
        }

        int strings = 1;
        var freed = new HashSet<int>();
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        string? problem = null;
        var (end, damaged) = IdJournal.Walk(data, (body, position) =>
        {
            // The ids must follow on from each other, as loading requires.
            if (body[0] == 1)
            {
                int first = BinaryPrimitives.ReadInt32LittleEndian(body[1..]);
                if (first != strings)
                {
                    problem = $"the strings record at byte {position:N0} starts at id {first:N0}, {strings:N0} was expected; the server refuses to start on it";
                    return false;
                }

                strings = first + BinaryPrimitives.ReadInt32LittleEndian(body[5..]);
            }
            else if (body[0] == 2)
            {
                int nameLength = BinaryPrimitives.ReadInt32LittleEndian(body[1..]);
                string name = System.Text.Encoding.UTF8.GetString(body.Slice(5, nameLength));
                int first = BinaryPrimitives.ReadInt32LittleEndian(body[(5 + nameLength)..]);
                if (first != keys.GetValueOrDefault(name) + 1)
                {
                    problem = $"the composite-key record at byte {position:N0} starts at id {first:N0}, {keys.GetValueOrDefault(name) + 1:N0} was expected; the server refuses to start on it";
                    return false;
                }

                keys[name] = first - 1 + BinaryPrimitives.ReadInt32LittleEndian(body[(9 + nameLength)..]);
            }
            else if (body[0] == 3)
            {
                // Freed ids: each live (below the ids handed out, not freed before), or the next id as a hole.
                int ranges = BinaryPrimitives.ReadInt32LittleEndian(body[1..]);
                for (int r = 0; r < ranges && problem is null; r++)
                {
                    int first = BinaryPrimitives.ReadInt32LittleEndian(body[(5 + (8 * r))..]);
                    int count = BinaryPrimitives.ReadInt32LittleEndian(body[(9 + (8 * r))..]);
                    for (int id = first; id < first + count; id++)
                    {
                        if (id < 1 || id > strings || !freed.Add(id))
                        {
                            problem = $"the freed-ids record at byte {position:N0} frees id {id:N0}, which is {(id > strings ? "past the ids handed out" : "not live")}; the server refuses to start on it";
                            return false;
                        }

                        strings = Math.Max(strings, id + 1);
                    }
                }
            }
            else
            {
                problem = $"the record at byte {position:N0} has unknown kind {body[0]}";
                return false;
            }

            return true;
        });
        if (problem is not null || damaged)
        {
            findings.Add(new(CheckSeverity.Error, part, problem ?? $"the record at byte {end:N0} is damaged and more data follows it; the server refuses to start on it"));
            return null;
        }

        if (end < data.Length)
        {
            findings.Add(new(CheckSeverity.Warning, part,
                $"the last {data.Length - end:N0} bytes (from byte {end:N0}) are not a complete record: a sync cut short; the next start cuts them off"));
        }

        findings.Add(new(CheckSeverity.Info, part, $"{strings - 1 - freed.Count:N0} strings ({freed.Count:N0} more freed) and {keys.Values.Sum():N0} composite keys"));
        return (strings, keys);
    }

    /// <summary>The offsets of the checkpoints whose every file is valid, newest first.</summary>
    private static List<long> CheckCheckpoints(string directory, (int Strings, Dictionary<string, int> Keys)? journal, List<CheckFinding> findings)
    {
        var valid = new List<long>();
        if (!Directory.Exists(directory))
        {
            findings.Add(new(CheckSeverity.Info, "checkpoints/", "absent"));
            return valid;
        }

        foreach (string temporary in Directory.EnumerateDirectories(directory, "*.tmp"))
        {
            findings.Add(new(CheckSeverity.Warning, $"checkpoints/{Path.GetFileName(temporary)}", "a checkpoint a crash cut short; the next start removes it"));
        }

        var store = new FileCheckpoints(directory);
        foreach (var checkpoint in store.List(0))
        {
            long offset = checkpoint.Position.Offset;
            string part = $"checkpoints/{checkpoint.Name}";
            try
            {
                var manifest = CheckpointManifest.Read(store.PathOf(checkpoint, CheckpointManifest.FileName));
                if (manifest.Offset != offset)
                {
                    throw new StorageException(StorageProblem.Corrupt, $"the manifest says offset {manifest.Offset:N0}");
                }

                if (journal is { } ids && (manifest.StringCount > ids.Strings || manifest.KeyCounts.Any(k => k.Value > ids.Keys.GetValueOrDefault(k.Key))))
                {
                    // The journal was synced through these ids before the checkpoint was committed: it lost them since.
                    findings.Add(new(CheckSeverity.Error, IdJournal.FileName,
                        $"the checkpoint at offset {offset:N0} needs {manifest.StringCount:N0} strings, but the journal's intact records hold {ids.Strings:N0}: "
                        + "it was damaged or cut after that checkpoint was committed; the server refuses to start on it"));
                    continue;
                }

                long bytes = 0;
                for (int shard = 0; shard < manifest.ShardCount; shard++)
                {
                    string file = store.PathOf(checkpoint, CheckpointManifest.ShardPartName(shard));
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan);
                    using var reader = new BlockFileReader(stream, file, Shard.CheckpointMagic, Shard.CheckpointVersion);
                    while (!reader.AtEnd)
                    {
                        reader.Skip(reader.PeekBlock().Length);
                    }

                    bytes += stream.Length;
                }

                valid.Add(offset);
                findings.Add(new(CheckSeverity.Info, part,
                    $"offset {offset:N0}, {manifest.ShardCount} shards, {bytes / 1048576.0:0.0} MiB, written {DateTimeOffset.FromUnixTimeMilliseconds(manifest.CreatedMs):yyyy-MM-dd HH:mm:ss} UTC"));
            }
            catch (Exception error) when (error is StorageException or IOException)
            {
                findings.Add(new(CheckSeverity.Warning, part, $"unusable ({error.Message}); recovery falls back to an older checkpoint"));
            }
        }

        return valid;
    }

    private sealed record LogSummary(long FirstOffset, long EndOffset, bool Readable);

    private static LogSummary? CheckLog(string directory, long syncedThrough, long replayFrom, List<CheckFinding> findings)
    {
        if (!Directory.Exists(directory))
        {
            findings.Add(new(CheckSeverity.Info, "log/", "absent"));
            return null;
        }

        var segments = LogSegment.List(directory);
        if (segments.Count == 0)
        {
            findings.Add(new(CheckSeverity.Info, "log/", "no segments"));
            return null;
        }

        long expected = segments[0].FirstOffset;
        long minTime = long.MaxValue, maxTime = long.MinValue, bytes = 0;
        bool readable = true;
        for (int s = 0; s < segments.Count; s++)
        {
            var (first, path) = segments[s];
            string part = $"log/{Path.GetFileName(path)}";
            if (first != expected)
            {
                findings.Add(new(CheckSeverity.Error, part, $"starts at offset {first:N0}, but the segment before it ends at {expected:N0}: events are missing"));
                readable = false;
            }

            using var reader = new SegmentReader(path, first);
            bytes += reader.Length;
            while (reader.TryRead(out var header, out _))
            {
                minTime = Math.Min(minTime, header.MinTimeMs);
                maxTime = Math.Max(maxTime, header.MaxTimeMs);
            }

            bool last = s == segments.Count - 1;
            bool covered = !last && segments[s + 1].FirstOffset <= replayFrom && (reader.HeaderProblem is not null || reader.End != SegmentEnd.Clean);
            if (covered)
            {
                // The same judgement as the server's: state does not need it, so it starts, and warns in its log.
                findings.Add(new(CheckSeverity.Warning, part,
                    $"damaged: {reader.HeaderProblem ?? reader.Problem}. The checkpoint at offset {replayFrom:N0} covers every event in it, so the server starts on it and logs a warning "
                    + $"naming it; backfills and model rejoins that read the log from before offset {segments[s + 1].FirstOffset:N0} fail. Restore this segment from a backup if you need them"));
            }
            else if (reader.HeaderProblem is not null && !(last && reader.Length < LogSegment.HeaderSize))
            {
                findings.Add(new(CheckSeverity.Error, part, $"damaged: {reader.HeaderProblem}; the server refuses to start on it"));
                readable = false;
            }
            else if (reader.HeaderProblem is not null)
            {
                findings.Add(new(CheckSeverity.Warning, part, "a segment created by a roll that a crash cut short before its header was written; the next start removes it"));
            }
            else if (reader.End != SegmentEnd.Clean && !last)
            {
                findings.Add(new(CheckSeverity.Error, part, $"damaged: {reader.Problem}; the server refuses to start on it"));
                readable = false;
            }
            else if (reader.End == SegmentEnd.Corrupt)
            {
                // Not a last record cut short, which is all a crash leaves: damage, and what it holds would be lost.
                findings.Add(new(CheckSeverity.Error, part,
                    $"damaged: {reader.Problem}; a crash only ever cuts the last record short, so it is damage, not a write cut short, and the events from offset {reader.NextOffset:N0} on were acknowledged; "
                    + "the server refuses to start on it. Restore the data directory from a backup"
                    + (reader.NextOffset >= syncedThrough
                        ? ", or start with 'freshet serve --salvage-log', which keeps every valid record before and after the damage, moves the damaged bytes to salvaged/ and logs what was lost"
                        : $"; --salvage-log cannot help, since the checkpoint at offset {syncedThrough:N0} holds state past the damage")));
                readable = false;
            }
            else if (reader.End != SegmentEnd.Clean && reader.NextOffset < syncedThrough)
            {
                findings.Add(new(CheckSeverity.Error, part,
                    $"damaged: {reader.Problem}; the checkpoint at offset {syncedThrough:N0} proves these records were on disk, so it is damage, not a write cut short; the server refuses to start on it"));
                readable = false;
            }
            else if (reader.End != SegmentEnd.Clean)
            {
                findings.Add(new(CheckSeverity.Warning, part,
                    $"{reader.Problem}; the next start ends the log there, cutting the last {reader.Length - reader.Position:N0} bytes (from offset {reader.NextOffset:N0}) off. "
                    + "A crash leaves such a tail, and then under durability 'always' none of it was acknowledged (under 'interval' or 'none' its newest events may have been). "
                    + "If nothing crashed while it was written, the file was cut afterwards and those events were acknowledged: restore it from a backup instead"));
            }

            expected = covered ? segments[s + 1].FirstOffset : reader.NextOffset;
        }

        string range = minTime == long.MaxValue ? "" : $", event times {DateTimeOffset.FromUnixTimeMilliseconds(minTime):yyyy-MM-dd HH:mm} to {DateTimeOffset.FromUnixTimeMilliseconds(maxTime):yyyy-MM-dd HH:mm} UTC";
        findings.Add(new(CheckSeverity.Info, "log/", $"{segments.Count} segment{(segments.Count == 1 ? "" : "s")}, {bytes / 1048576.0:0.0} MiB, offsets {segments[0].FirstOffset:N0} to {expected:N0}{range}"));
        return new LogSummary(segments[0].FirstOffset, expected, readable);
    }

    private static void CheckCoverage(List<long> checkpoints, long syncedThrough, LogSummary? log, List<CheckFinding> findings)
    {
        if (log is { Readable: false })
        {
            return; // The damage is reported; where the log would end without it says nothing more.
        }

        long first = log?.FirstOffset ?? 0;
        long end = log?.EndOffset ?? 0;
        if (log is null && syncedThrough > 0)
        {
            findings.Add(new(CheckSeverity.Error, "state", $"there are no log segments, but checkpoints up to offset {syncedThrough:N0} exist: the log was removed; the server refuses to start"));
            return;
        }

        if (syncedThrough > end)
        {
            findings.Add(new(CheckSeverity.Error, "state",
                $"the checkpoint at offset {syncedThrough:N0} shows the log once held events up to there, but it ends at {end:N0}: acknowledged events are missing; the server refuses to start"));
            return;
        }

        if (checkpoints.Count == 0)
        {
            if (first > 0)
            {
                findings.Add(new(CheckSeverity.Error, "state", $"no usable checkpoint, and the log starts at offset {first:N0}, not 0: the state cannot be rebuilt"));
            }

            return;
        }

        if (checkpoints.All(c => c < first || c > end))
        {
            findings.Add(new(CheckSeverity.Error, "state", $"no usable checkpoint lies within the log's offsets {first:N0} to {end:N0}: the state cannot be rebuilt exactly"));
        }
    }
}
