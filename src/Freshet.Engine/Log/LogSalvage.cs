using System.Globalization;
using Freshet.Engine.Storage;

namespace Freshet.Engine.Log;

/// <summary>
/// The explicit way past damage in the newest segment (<c>freshet serve --salvage-log</c>): keeps every record whose
/// header and CRC are valid, before and after the damage, moves the damaged bytes aside into files of their own (they
/// are never deleted) and says exactly what was cut. Records after a damaged stretch are renumbered down by the events
/// lost in it, so offsets stay consecutive; that is sound only past the newest checkpoint, which is the only place
/// <see cref="EventLog.Open"/> lets it run.
/// </summary>
internal static class LogSalvage
{
    /// <summary>Where the damaged bytes go, relative to the data directory.</summary>
    public const string FolderName = "salvaged";

    /// <summary>
    /// Rewrites the segment at <paramref name="path"/> (whose first offset is <paramref name="firstOffset"/>) with its valid
    /// records only, the damaged ranges saved under <paramref name="salvageDirectory"/>. Returns one line per damaged
    /// stretch, for the recovery notes and the server's log.
    /// </summary>
    public static List<string> Salvage(string path, long firstOffset, string salvageDirectory)
    {
        byte[] data = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        var kept = new MemoryStream(data.Length);
        Span<byte> segmentHeader = stackalloc byte[LogSegment.HeaderSize];
        LogSegment.WriteHeader(segmentHeader, firstOffset);
        kept.Write(segmentHeader);

        var lines = new List<string>();
        var damaged = new List<(long Start, long End)>();
        if (data.Length >= LogSegment.HeaderSize && !data.AsSpan(0, LogSegment.HeaderSize).SequenceEqual(segmentHeader))
        {
            // A damaged segment header is rewritten from the file's name; the old bytes are kept like any other damage.
            string header = SaveDamaged(salvageDirectory, name, data, 0, LogSegment.HeaderSize);
            lines.Add($"salvage: rewrote the damaged header of {name} from its name (the old bytes are saved as {FolderName}/{header})");
        }

        long expected = firstOffset; // The next offset as the file numbers it.
        long lost = 0; // Events lost so far: what later records are renumbered down by.
        int position = LogSegment.HeaderSize;
        while (position < data.Length)
        {
            if (ValidRecordAt(data, position, out var header) && header.FirstOffset >= expected)
            {
                if (header.FirstOffset > expected)
                {
                    // A whole record, but offsets are missing before it: records were lost without damaging a byte.
                    lines.Add($"salvage: the record at byte {position:N0} of {name} starts at offset {header.FirstOffset:N0}, {expected:N0} was expected: "
                        + $"{header.FirstOffset - expected:N0} events lost; the {Describe(header.FirstOffset, lost + header.FirstOffset - expected)}");
                    lost += header.FirstOffset - expected;
                }

                Keep(kept, data, position, header, header.FirstOffset - lost);
                expected = header.EndOffset;
                position += header.TotalBytes;
                continue;
            }

            // Damage from here: skip to the next valid record that continues the offsets (a stale copy of an earlier
            // record is damage too), or to the end of the file.
            int next = position + 1;
            LogRecordHeader after = default;
            while (next < data.Length && !(ValidRecordAt(data, next, out after) && after.FirstOffset >= expected))
            {
                next++;
            }

            bool atEnd = next >= data.Length;
            long lostHere = atEnd ? -1 : after.FirstOffset - expected;
            damaged.Add((position, Math.Min(next, data.Length)));
            string saved = SaveDamaged(salvageDirectory, name, data, position, Math.Min(next, data.Length));
            lines.Add(
                $"salvage: cut bytes {position:N0}..{Math.Min(next, data.Length):N0} of {name} ({Math.Min(next, data.Length) - position:N0} bytes, saved as {FolderName}/{saved}): "
                + (atEnd
                    ? $"no valid record follows, so the events from offset {expected - lost:N0} in them are lost (how many is unknown)"
                    : $"{lostHere:N0} events lost (offsets {expected:N0}..{after.FirstOffset - 1:N0} as written); the {Describe(after.FirstOffset, lost + lostHere)}"));
            if (atEnd)
            {
                break;
            }

            lost += lostHere;
            expected = after.FirstOffset;
            position = next;
        }

        string temporary = path + ".salvage.tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1))
        {
            file.Write(kept.GetBuffer().AsSpan(0, (int)kept.Length));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        DurableFiles.SyncDirectory(Path.GetDirectoryName(path)!);
        lines.Add(
            $"salvage: {name} now holds offsets {firstOffset:N0} to {expected - lost:N0} (exclusive) in {kept.Length:N0} bytes; {damaged.Sum(d => d.End - d.Start):N0} damaged bytes were moved to {FolderName}/, "
            + (lost > 0 ? $"{lost:N0} events are known lost" : "no whole record is known lost"));
        return lines;
    }

    private static string Describe(long writtenFirst, long shift) => shift == 0
        ? "records after them keep their offsets"
        : $"records after them are renumbered from offset {writtenFirst:N0} down to {writtenFirst - shift:N0}";

    private static bool ValidRecordAt(byte[] data, int position, out LogRecordHeader header)
    {
        header = default;
        return data.Length - position >= LogRecordHeader.Size
            && LogRecordHeader.TryRead(data.AsSpan(position), out header, out uint crc)
            && position + (long)header.TotalBytes <= data.Length
            && LogRecordHeader.CrcMatches(data.AsSpan(position, header.TotalBytes), crc);
    }

    private static void Keep(MemoryStream kept, byte[] data, int position, LogRecordHeader header, long firstOffset)
    {
        if (firstOffset == header.FirstOffset)
        {
            kept.Write(data, position, header.TotalBytes);
            return;
        }

        byte[] record = data.AsSpan(position, header.TotalBytes).ToArray();
        (header with { FirstOffset = firstOffset }).WriteWithCrc(record);
        kept.Write(record);
    }

    private static string SaveDamaged(string directory, string segmentName, byte[] data, int start, int end)
    {
        Directory.CreateDirectory(directory);
        string name = string.Create(CultureInfo.InvariantCulture, $"{segmentName}.bytes-{start}-{end}.damaged");
        string path = Path.Combine(directory, name);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1))
        {
            file.Write(data.AsSpan(start, end - start));
            file.Flush(flushToDisk: true);
        }

        DurableFiles.SyncDirectory(directory);
        return name;
    }
}
