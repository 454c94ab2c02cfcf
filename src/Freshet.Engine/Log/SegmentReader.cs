using System.Buffers;

namespace Freshet.Engine.Log;

/// <summary>How reading a segment ended.</summary>
internal enum SegmentEnd
{
    /// <summary>Every byte belonged to a valid record.</summary>
    Clean,

    /// <summary>
    /// The last record is incomplete (the file ends inside it) and no valid record follows it: a write cut short by a crash.
    /// Everything from <see cref="SegmentReader.Position"/> on can be cut off.
    /// </summary>
    TornTail,

    /// <summary>
    /// A bad record is followed by valid ones, or is whole yet fails its CRC, or breaks the offset sequence: damage, not
    /// a cut write.
    /// </summary>
    Corrupt,
}

/// <summary>
/// Reads the records of one segment in order, checking each against its CRC and the offset sequence. A bad record
/// is classified: if a valid record can be found anywhere after it, the segment is corrupt in the middle (refuse to
/// go on); if not, it is a torn tail (cut it off).
/// </summary>
internal sealed class SegmentReader : IDisposable
{
    private readonly FileStream _file;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
    private int _start;
    private int _end;
    private long _bufferFilePosition;

    public SegmentReader(string path, long firstOffset)
    {
        Path = path;
        FirstOffset = firstOffset;
        NextOffset = firstOffset;
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        Length = _file.Length;
        Span<byte> header = stackalloc byte[LogSegment.HeaderSize];
        int read = _file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        HeaderProblem = LogSegment.CheckHeader(header[..read], firstOffset);
        Position = LogSegment.HeaderSize;
        _bufferFilePosition = LogSegment.HeaderSize;
    }

    public string Path { get; }

    public long FirstOffset { get; }

    public long Length { get; }

    /// <summary>Null when the segment header is valid; otherwise what is wrong with it.</summary>
    public string? HeaderProblem { get; }

    /// <summary>File position after the last valid record read (where a torn tail starts).</summary>
    public long Position { get; private set; }

    /// <summary>Offset of the next event (after the last valid record read).</summary>
    public long NextOffset { get; private set; }

    /// <summary>Set when <see cref="TryRead"/> returns false: how the segment ended, and for a bad end, why.</summary>
    public SegmentEnd End { get; private set; }

    public string? Problem { get; private set; }

    /// <summary>The next valid record; false at the end of the segment (see <see cref="End"/>).</summary>
    public bool TryRead(out LogRecordHeader header, out ReadOnlySpan<byte> payload)
    {
        header = default;
        payload = default;
        if (HeaderProblem is not null)
        {
            End = SegmentEnd.Corrupt;
            Problem = HeaderProblem;
            return false;
        }

        if (Position == Length)
        {
            End = SegmentEnd.Clean;
            return false;
        }

        if (!Fill(LogRecordHeader.Size) || !LogRecordHeader.TryRead(_buffer.AsSpan(_start, LogRecordHeader.Size), out header, out uint crc))
        {
            return Bad($"no valid record header at byte {Position:N0}");
        }

        if (!Fill(header.TotalBytes))
        {
            return Bad($"the record at byte {Position:N0} claims {header.TotalBytes:N0} bytes ({header.Count:N0} events from offset {header.FirstOffset:N0}), the file has {Length - Position:N0} left");
        }

        var record = _buffer.AsSpan(_start, header.TotalBytes);
        if (!LogRecordHeader.CrcMatches(record, crc))
        {
            // Every byte of the record is there, so no write was cut short: a kill ends a file inside its last record,
            // never on a whole one that fails its CRC. Damage, wherever it is, even with nothing valid after it.
            End = SegmentEnd.Corrupt;
            Problem = $"the record at byte {Position:N0} (offsets {header.FirstOffset:N0}..{header.EndOffset - 1:N0}, {header.Count:N0} events) fails its checksum";
            return false;
        }

        if (header.FirstOffset != NextOffset)
        {
            End = SegmentEnd.Corrupt;
            Problem = $"the record at byte {Position:N0} starts at offset {header.FirstOffset:N0}; {NextOffset:N0} was expected";
            return false;
        }

        payload = record[LogRecordHeader.Size..];
        _start += header.TotalBytes;
        Position += header.TotalBytes;
        NextOffset = header.EndOffset;
        return true;
    }

    public void Dispose()
    {
        _file.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private bool Bad(string what)
    {
        Problem = what;
        End = ValidRecordFollows(Position + 1) ? SegmentEnd.Corrupt : SegmentEnd.TornTail;
        if (End == SegmentEnd.TornTail)
        {
            Problem = $"{what}; nothing valid follows, so it is a write cut short";
        }

        return false;
    }

    /// <summary>Scans forward for any record whose header and CRC are valid (slow, only on damage).</summary>
    private bool ValidRecordFollows(long from)
    {
        var data = new byte[Length - Math.Min(from, Length)];
        _file.Position = from;
        _file.ReadExactly(data);
        for (int i = 0; i + LogRecordHeader.Size <= data.Length; i++)
        {
            if (data[i] == (byte)'F' && LogRecordHeader.TryRead(data.AsSpan(i), out var header, out uint crc)
                && i + header.TotalBytes <= data.Length && LogRecordHeader.CrcMatches(data.AsSpan(i, header.TotalBytes), crc))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Makes at least <paramref name="count"/> bytes from <see cref="Position"/> available; false at end of file.</summary>
    private bool Fill(int count)
    {
        if (Position + count > Length)
        {
            return false;
        }

        if (_end - _start >= count)
        {
            return true;
        }

        if (_buffer.Length < count)
        {
            var grown = ArrayPool<byte>.Shared.Rent(count);
            _buffer.AsSpan(_start, _end - _start).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
        else
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        }

        _bufferFilePosition += _start;
        _end -= _start;
        _start = 0;
        _file.Position = _bufferFilePosition + _end;
        while (_end < count)
        {
            int n = _file.Read(_buffer.AsSpan(_end));
            if (n == 0)
            {
                return false;
            }

            _end += n;
        }

        return true;
    }
}
