using System.Globalization;
using Freshet.Engine.Storage;
using Freshet.Events;

namespace Freshet.Engine.Log;

/// <summary>What opening the log found and did, for the recovery report.</summary>
internal sealed record LogOpenReport(int Segments, long Bytes, long FirstOffset, long EndOffset, string? TornTail, string? RemovedEmptySegment,
    IReadOnlyList<string> Salvaged);

/// <summary>Opening the log: finding the segments, checking the newest one to its end, and cutting a torn tail.</summary>
internal sealed partial class EventLog
{
    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>. The newest segment is read to its end. A bad last
    /// record with nothing valid after it is a crash's torn write: it is cut off and reported. A bad record followed by
    /// valid ones is damage, as is a bad last record below <paramref name="syncedThrough"/> (the newest committed
    /// checkpoint's offset, which was synced): both throw <see cref="StorageException"/> (<see cref="StorageProblem.Corrupt"/>)
    /// naming the file and byte, unless <see cref="StorageOptions.SalvageLog"/> asks for <see cref="LogSalvage"/> and the
    /// damage lies past that checkpoint. Older segments are checked when they are read, and any damage in them
    /// throws. An empty log starts at <paramref name="startOffset"/>.
    /// </summary>
    public static EventLog Open(string directory, StorageOptions options, TimeProvider time, StringInterner strings, long startOffset, long syncedThrough,
        out LogOpenReport report)
    {
        Directory.CreateDirectory(directory);
        var found = LogSegment.List(directory);
        string? removedEmpty = null;
        string? torn = null;
        List<string> salvaged = [];

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
            var scan = ScanNewest(last);
            string? damage = scan.Damage ?? (scan.Torn is not null && scan.NextOffset < syncedThrough
                ? $"its last record is bad ({scan.Torn}), but a checkpoint at offset {syncedThrough:N0} proves the log was on disk past offset {scan.NextOffset:N0}, so this is damage, not a write cut short"
                : null);
            if (damage is not null)
            {
                // Damage followed by valid records, or any bad record a checkpoint proves was on disk: never a crash's
                // torn write (SIGKILL leaves the page cache whole; a torn write is the file's last record, and under
                // 'always' its events were not yet acknowledged), so nothing is cut unless the operator says so.
                bool salvageable = scan.NextOffset >= syncedThrough;
                if (!options.SalvageLog || !salvageable)
                {
                    throw new StorageException(StorageProblem.Corrupt,
                        $"the event log segment {last.Path} is damaged at byte {scan.Position:N0} (offset {scan.NextOffset:N0}): {damage}. The log is left as it is. "
                        + "Run 'freshet check' for details; restore the data directory from a backup"
                        + (salvageable
                            ? ", or start with 'freshet serve --salvage-log' to keep every valid record before and after the damage and move the damaged bytes aside."
                            : $"; --salvage-log cannot help, since the checkpoint at offset {syncedThrough:N0} holds state past the damage."));
                }

                salvaged = LogSalvage.Salvage(last.Path, last.FirstOffset, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(directory))!, LogSalvage.FolderName));
                foreach (string line in salvaged)
                {
                    options.Diagnostics?.Invoke(line);
                }

                scan = ScanNewest(last);
                if (scan.Damage is { } left)
                {
                    throw new StorageException(StorageProblem.Corrupt, $"the event log segment {last.Path} is still damaged after salvaging it: {left}");
                }
            }

            long cutAt = scan.CutAt;
            torn = scan.Torn;
            end = scan.NextOffset;
            last.MaxEventTimeMs = scan.MaxTimeMs;
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
        report = new LogOpenReport(segments.Count, segments.Sum(s => s.Bytes), segments[0].FirstOffset, end, torn, removedEmpty, salvaged);
        return log;
    }

    /// <summary>What reading the newest segment to its end found: where it ends, and whether that end is damage.</summary>
    private sealed record NewestScan(long NextOffset, long Position, long CutAt, long MaxTimeMs, string? Torn, string? Damage);

    /// <summary>
    /// Reads the newest segment to its end. A bad last record with nothing valid after it is a torn tail (cut, noted);
    /// a bad record followed by valid ones, or a damaged header, is <see cref="NewestScan.Damage"/>. CutAt is -1 for the
    /// very first segment left without its header.
    /// </summary>
    private static NewestScan ScanNewest(SegmentInfo last)
    {
        using var reader = new SegmentReader(last.Path, last.FirstOffset);
        if (reader.HeaderProblem is not null && reader.Length < LogSegment.HeaderSize)
        {
            return new NewestScan(last.FirstOffset, 0, -1, long.MinValue, null, null);
        }

        long maxTime = long.MinValue;
        while (reader.TryRead(out var header, out _))
        {
            maxTime = Math.Max(maxTime, header.MaxTimeMs);
        }

        if (reader.HeaderProblem is not null)
        {
            return new NewestScan(reader.NextOffset, 0, 0, maxTime, null, reader.HeaderProblem);
        }

        return reader.End switch
        {
            SegmentEnd.Clean => new NewestScan(reader.NextOffset, reader.Position, reader.Length, maxTime, null, null),
            SegmentEnd.TornTail => new NewestScan(reader.NextOffset, reader.Position, reader.Position, maxTime,
                $"cut {reader.Length - reader.Position:N0} bytes off the end of {Path.GetFileName(last.Path)} ({reader.Problem})", null),
            _ => new NewestScan(reader.NextOffset, reader.Position, reader.Position, maxTime, null,
                $"{reader.Problem}; a crash only ever cuts the last record short, so it is damage, not a write cut short"),
        };
    }

    /// <summary>
    /// Reads every record holding events at or after <paramref name="fromOffset"/>, oldest first, checking each
    /// segment's records, CRCs and the offset sequence across segments. Before <see cref="Start"/> it reads the whole
    /// log; beside the writer it reads what the writer had written when the call started (whole records only: a
    /// segment's size moves only after a group commit is written). Throws <see cref="StorageException"/>
    /// (<see cref="StorageProblem.Missing"/>) below <see cref="FirstOffset"/>.
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
                $"the event log in {_directory} cannot be read from offset {fromOffset.ToString("N0", CultureInfo.InvariantCulture)}: it starts at offset "
                + $"{segments[0].FirstOffset.ToString("N0", CultureInfo.InvariantCulture)} ({Path.GetFileName(segments[0].Path)}) now, the older segments were deleted");
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
            long maxTime = long.MinValue;
            while (reader.Position < limit && reader.TryRead(out var header, out var payload))
            {
                maxTime = Math.Max(maxTime, header.MaxTimeMs);
                if (header.EndOffset > fromOffset)
                {
                    onRecord(header, payload);
                }
            }

            lock (_segmentsLock)
            {
                // Under the lock: the writer raises the active segment's newest time there too, and must not lose it.
                segment.MaxEventTimeMs = Math.Max(segment.MaxEventTimeMs, maxTime);
            }

            if (reader.Position < limit)
            {
                throw new StorageException(StorageProblem.Corrupt,
                    $"the event log segment {segment.Path} is damaged: {reader.Problem}. Run 'freshet check' for details.");
            }

            expected = reader.NextOffset;
        }
    }

    /// <summary>
    /// Reads every segment wholly before <paramref name="offset"/> (those recovery did not need) and returns one line per
    /// damaged one: the state does not need them, but a backfill or a model rejoin from before them would fail, so the
    /// operator must hear of it. Runs beside ingest after the start; <paramref name="cancellationToken"/> stops it.
    /// </summary>
    public List<string> VerifySegmentsBefore(long offset, CancellationToken cancellationToken)
    {
        List<SegmentInfo> segments;
        lock (_segmentsLock)
        {
            segments = [.. _segments];
        }

        var damaged = new List<string>();
        for (int s = 0; s + 1 < segments.Count && segments[s + 1].FirstOffset <= offset && !cancellationToken.IsCancellationRequested; s++)
        {
            try
            {
                using var reader = new SegmentReader(segments[s].Path, segments[s].FirstOffset);
                while (reader.TryRead(out _, out _) && !cancellationToken.IsCancellationRequested)
                {
                }

                string? problem = reader.HeaderProblem ?? (reader.End == SegmentEnd.Clean || cancellationToken.IsCancellationRequested ? null : reader.Problem);
                if (problem is not null)
                {
                    damaged.Add($"WARNING: the event log segment {segments[s].Path} is damaged: {problem}. The checkpoint at offset {offset:N0} covers every event in it, "
                        + $"so the state is whole and the server runs; backfills and model rejoins that read the log from before offset {segments[s + 1].FirstOffset:N0} fail. "
                        + "Run 'freshet check'; restore this segment from a backup if you need them.");
                }
            }
            catch (IOException)
            {
                // Deleted by retention meanwhile: nothing left to warn about.
            }
        }

        return damaged;
    }

    /// <summary>Receives one record read back from the log.</summary>
    public delegate void RecordHandler(in LogRecordHeader header, ReadOnlySpan<byte> payload);
}
