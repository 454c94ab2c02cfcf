using Freshet.Engine.Storage;
using Freshet.Events;

namespace Freshet.Engine.Log;

/// <summary>What opening the log found and did, for the recovery report.</summary>
internal sealed record LogOpenReport(int Segments, long Bytes, long FirstOffset, long EndOffset, string? TornTail, string? RemovedEmptySegment);

/// <summary>Opening the log: finding the segments, checking the newest one to its end, and cutting a torn tail.</summary>
internal sealed partial class EventLog
{
    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>. The newest segment is read to its end: the log ends
    /// at its first bad record (a crash's torn write), and what follows is cut off and reported — unless a committed
    /// checkpoint proves those offsets were on disk, which makes it damage and throws <see cref="StorageException"/>
    /// (<see cref="StorageProblem.Corrupt"/>). Older segments are checked when they are read, and any damage in them
    /// throws. An empty log starts at <paramref name="startOffset"/>.
    /// <paramref name="syncedThrough"/> is an offset the log is known to have been synced through (the newest committed
    /// checkpoint's): damage below it is never taken for a torn tail, since those records were on disk.
    /// </summary>
    public static EventLog Open(string directory, StorageOptions options, TimeProvider time, StringInterner strings, long startOffset, long syncedThrough,
        out LogOpenReport report)
    {
        Directory.CreateDirectory(directory);
        var found = LogSegment.List(directory);
        string? removedEmpty = null;
        string? torn = null;

        // A roll cut short by a crash can leave a new segment without its header: nothing in it was acknowledged.
        if (found.Count > 1 && new FileInfo(found[^1].Path).Length < LogSegment.HeaderSize)
        {
            removedEmpty = $"removed {Path.GetFileName(found[^1].Path)}, a segment created by a roll that was cut short before its header was written";
            File.Delete(found[^1].Path);
            found.RemoveAt(found.Count - 1);
        }

        var segments = found.Select(f => new SegmentInfo(f.FirstOffset, f.Path)
        {
            Bytes = new FileInfo(f.Path).Length,
            LastWriteMs = new DateTimeOffset(File.GetLastWriteTimeUtc(f.Path)).ToUnixTimeMilliseconds(),
        }).ToList();

        long end;
        if (segments.Count == 0)
        {
            var first = new SegmentInfo(startOffset, Path.Combine(directory, LogSegment.FileName(startOffset)));
            using (CreateSegmentFile(first.Path, startOffset))
            {
            }

            first.Bytes = LogSegment.HeaderSize;
            first.LastWriteMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            segments.Add(first);
            end = startOffset;
        }
        else
        {
            var last = segments[^1];
            long cutAt;
            using (var reader = new SegmentReader(last.Path, last.FirstOffset))
            {
                if (reader.HeaderProblem is not null && reader.Length < LogSegment.HeaderSize && segments.Count == 1)
                {
                    // The very first segment, created but never given its header: start it again.
                    cutAt = -1;
                }
                else
                {
                    while (reader.TryRead(out var header, out _))
                    {
                        last.MaxEventTimeMs = Math.Max(last.MaxEventTimeMs, header.MaxTimeMs);
                    }

                    if (reader.HeaderProblem is not null)
                    {
                        throw new StorageException(StorageProblem.Corrupt,
                            $"the event log segment {last.Path} is damaged: {reader.HeaderProblem}; the log is left as it is. "
                            + "Run 'freshet check' for details; restore the data directory from a backup.");
                    }

                    // The end of the newest segment: a bad record there ends the log, as a crash leaves it (a write cut
                    // short, or one whose later pages reached the disk and earlier ones did not, so valid-looking records
                    // may even follow). Only a checkpoint can prove those offsets were once on disk: then it is damage.
                    if (reader.End != SegmentEnd.Clean && reader.NextOffset < syncedThrough)
                    {
                        throw new StorageException(StorageProblem.Corrupt,
                            $"the event log segment {last.Path} is damaged: {(reader.Problem ?? "").Replace("; nothing valid follows, so it is a write cut short", "", StringComparison.Ordinal)}. "
                            + $"A checkpoint at offset {syncedThrough:N0} proves the log was on disk past offset {reader.NextOffset:N0}, so this is damage, not a write cut short; "
                            + "the log is left as it is. Run 'freshet check' for details; restore the data directory from a backup.");
                    }

                    cutAt = reader.End == SegmentEnd.Clean ? reader.Length : reader.Position;
                    if (reader.End == SegmentEnd.TornTail)
                    {
                        torn = $"cut {reader.Length - reader.Position:N0} bytes off the end of {Path.GetFileName(last.Path)} ({reader.Problem})";
                    }
                    else if (reader.End == SegmentEnd.Corrupt)
                    {
                        torn = $"cut {reader.Length - reader.Position:N0} bytes off the end of {Path.GetFileName(last.Path)} from offset {reader.NextOffset:N0} "
                            + $"({reader.Problem}; valid-looking records follow, as when a crash leaves a write's later pages on disk but not its earlier ones; "
                            + "if the machine did not crash, check the disk)";
                    }
                }

                end = reader.NextOffset;
            }

            if (cutAt < 0)
            {
                File.Delete(last.Path);
                using (CreateSegmentFile(last.Path, last.FirstOffset))
                {
                }

                cutAt = LogSegment.HeaderSize;
                torn = $"rewrote the header of {Path.GetFileName(last.Path)}, which a crash had left without one";
            }
            else if (cutAt < new FileInfo(last.Path).Length)
            {
                using var file = new FileStream(last.Path, FileMode.Open, FileAccess.Write, FileShare.Read);
                file.SetLength(cutAt);
                file.Flush(flushToDisk: true);
            }

            last.Bytes = cutAt;
        }

        var log = new EventLog(directory, options, time, strings, segments, end);
        var active = segments[^1];
        log._active = new FileStream(active.Path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete, 1);
        log._active.Seek(active.Bytes, SeekOrigin.Begin);
        log._activeBytes = active.Bytes;
        report = new LogOpenReport(segments.Count, segments.Sum(s => s.Bytes), segments[0].FirstOffset, end, torn, removedEmpty);
        return log;
    }

    /// <summary>
    /// Reads every record holding events at or after <paramref name="fromOffset"/>, oldest first, checking each
    /// segment's records, CRCs and the offset sequence across segments. Call before <see cref="Start"/>.
    /// </summary>
    public void Read(long fromOffset, RecordHandler onRecord)
    {
        List<SegmentInfo> segments;
        lock (_segmentsLock)
        {
            segments = [.. _segments];
        }

        if (fromOffset < segments[0].FirstOffset)
        {
            throw new StorageException(StorageProblem.Missing,
                $"the state needs the event log from offset {fromOffset:N0}, but it starts at {segments[0].FirstOffset:N0} ({segments[0].Path}); the older segments were deleted");
        }

        long expected = -1;
        for (int s = 0; s < segments.Count; s++)
        {
            var segment = segments[s];
            long next = s + 1 < segments.Count ? segments[s + 1].FirstOffset : long.MaxValue;
            if (next <= fromOffset)
            {
                continue;
            }

            if (expected >= 0 && segment.FirstOffset != expected)
            {
                throw new StorageException(StorageProblem.Corrupt,
                    $"the event log has a gap: the segment before {segment.Path} ends at offset {expected:N0}, this one starts at {segment.FirstOffset:N0}");
            }

            using var reader = new SegmentReader(segment.Path, segment.FirstOffset);
            long limit = s == segments.Count - 1 ? segment.Bytes : reader.Length;
            while (reader.Position < limit && reader.TryRead(out var header, out var payload))
            {
                segment.MaxEventTimeMs = Math.Max(segment.MaxEventTimeMs, header.MaxTimeMs);
                if (header.EndOffset > fromOffset)
                {
                    onRecord(header, payload);
                }
            }

            if (reader.Position < limit)
            {
                throw new StorageException(StorageProblem.Corrupt,
                    $"the event log segment {segment.Path} is damaged: {reader.Problem}. Run 'freshet check' for details.");
            }

            expected = reader.NextOffset;
        }
    }

    /// <summary>Receives one record read back from the log.</summary>
    public delegate void RecordHandler(in LogRecordHeader header, ReadOnlySpan<byte> payload);
}
