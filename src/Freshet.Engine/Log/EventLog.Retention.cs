using Freshet.Engine.Storage;

namespace Freshet.Engine.Log;

/// <summary>Deleting old segments by age and size, never what a checkpoint or the backfill horizon still needs.</summary>
internal sealed partial class EventLog
{
    /// <summary>
    /// Deletes the oldest closed segments that are past <see cref="StorageOptions.RetentionAge"/> or over
    /// <see cref="StorageOptions.RetentionBytes"/>, but none holding an event at or after <paramref name="neededFromOffset"/>
    /// (the oldest checkpoint kept) and none holding events newer than <paramref name="nowMs"/> minus the backfill
    /// horizon. Returns the segments deleted.
    /// </summary>
    public IReadOnlyList<string> ApplyRetention(long neededFromOffset, long nowMs)
    {
        long wall = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long horizonMs = (long)_options.BackfillHorizon.TotalMilliseconds;
        var deleted = new List<string>();
        List<SegmentInfo> candidates;
        long total;
        lock (_segmentsLock)
        {
            total = _segments.Sum(s => s.Bytes);
            // Never the active segment; never one whose successor starts after an offset still needed.
            candidates = [.. _segments.Take(_segments.Count - 1).Where((s, i) => _segments[i + 1].FirstOffset <= neededFromOffset)];
        }

        // Decided outside the lock the writer takes for every group commit: an old segment's newest event time may
        // have to be read from its records first.
        foreach (var oldest in candidates)
        {
            if (horizonMs > 0 && nowMs != long.MinValue && MaxEventTime(oldest) >= nowMs - horizonMs)
            {
                break;
            }

            bool tooOld = _options.RetentionAge is { } age && oldest.LastWriteMs < wall - (long)age.TotalMilliseconds;
            bool tooBig = _options.RetentionBytes is { } limit && total > limit;
            if (!tooOld && !tooBig)
            {
                break;
            }

            lock (_segmentsLock)
            {
                _segments.Remove(oldest);
            }

            File.Delete(oldest.Path);
            total -= oldest.Bytes;
            deleted.Add(Path.GetFileName(oldest.Path));
        }

        if (deleted.Count > 0)
        {
            DurableFiles.SyncDirectory(_directory);
        }

        return deleted;
    }

    /// <summary>
    /// Deletes every closed segment wholly before <paramref name="before"/> (its successor starts at or below it), whatever
    /// the retention policy says: the caller knows no reader needs them. The segment holding <paramref name="before"/>
    /// and the active one stay, so the log may keep a little more. Returns the new <see cref="FirstOffset"/>.
    /// </summary>
    public long Trim(long before)
    {
        List<SegmentInfo> doomed;
        lock (_segmentsLock)
        {
            doomed = [.. _segments.Take(_segments.Count - 1).Where((s, i) => _segments[i + 1].FirstOffset <= before)];
            foreach (var segment in doomed)
            {
                _segments.Remove(segment);
            }
        }

        foreach (var segment in doomed)
        {
            File.Delete(segment.Path);
        }

        if (doomed.Count > 0)
        {
            DurableFiles.SyncDirectory(_directory);
        }

        return FirstOffset;
    }

    /// <summary>The newest event time of a closed segment, read from its record headers the first time it is needed.</summary>
    private static long MaxEventTime(SegmentInfo segment)
    {
        if (segment.MaxEventTimeMs == long.MinValue)
        {
            using var reader = new SegmentReader(segment.Path, segment.FirstOffset);
            while (reader.TryRead(out var header, out _))
            {
                segment.MaxEventTimeMs = Math.Max(segment.MaxEventTimeMs, header.MaxTimeMs);
            }
        }

        return segment.MaxEventTimeMs;
    }
}
