using System.Buffers.Binary;
using System.Text;

namespace Freshet.Engine.Storage;

/// <summary>Freed ids (kind 3 records) and compaction of the journal (see docs/STRING-RECLAMATION.md).</summary>
internal sealed partial class IdJournal
{
    private const string CompactSuffix = ".compact";

    /// <summary>Below this size a journal is never compacted: rewriting it would cost more than it saves.</summary>
    internal const long CompactMinBytes = 64 * 1024;

    private long _deadBytes; // Bytes of the file's kind-1 records that hold strings since freed.

    /// <summary>Compactions done since the journal was opened (tests, stats).</summary>
    public int Compactions { get; private set; }

    /// <summary>The journal's size in bytes.</summary>
    public long Length => _file.Length;

    /// <summary>
    /// Appends the ids the interner just freed (ascending) as one kind 3 record and flushes it to disk. Losing it to a
    /// crash is harmless: the ids are then live again at the next start, referenced by nothing, and freed again later.
    /// </summary>
    public void AppendFreed(IReadOnlyList<int> ids, IReadOnlyList<int> utf8Lengths)
    {
        if (ids.Count == 0)
        {
            return;
        }

        Write(() =>
        {
            if (_broken)
            {
                throw new StorageException(StorageProblem.Io, $"the id journal {_file.Name} could not be repaired after a failed write; restart the server");
            }

            var ranges = new List<(int First, int Count)>();
            foreach (int id in ids)
            {
                if (ranges.Count > 0 && ranges[^1].First + ranges[^1].Count == id)
                {
                    ranges[^1] = (ranges[^1].First, ranges[^1].Count + 1);
                }
                else
                {
                    ranges.Add((id, 1));
                }
            }

            using var record = new RecordBuffer(16 + (ranges.Count * 8));
            WriteFreed(record, ranges);
            _file.Flush(flushToDisk: true);
            foreach (int length in utf8Lengths)
            {
                _deadBytes += 4 + length;
            }
        });
    }

    /// <summary>True when freed strings make up over half of a journal worth rewriting.</summary>
    public bool WorthCompacting => _file.Length >= CompactMinBytes && _deadBytes * 2 > _file.Length;

    /// <summary>
    /// Rewrites the journal as one snapshot of what it holds now: live strings in kind 1 runs, freed ids as kind 3
    /// holes, every composite key; synced beside, then renamed over it (so a crash leaves one whole journal or the
    /// other, both loading to the same ids). Call only when no id is being freed or journaled (the checkpoint path).
    /// </summary>
    public void Compact()
    {
        string path = _file.Name;
        string temporary = path + CompactSuffix;
        int stringCount = _journaledStrings;
        try
        {
            using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> header = stackalloc byte[HeaderSize];
                header.Clear();
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
                output.Write(header);
                using var record = new RecordBuffer(1 << 16);
                int id = 1;
                while (id < stringCount)
                {
                    int first = id;
                    if (_strings.IsFreed(id))
                    {
                        while (id < stringCount && _strings.IsFreed(id))
                        {
                            id++;
                        }

                        record.Clear();
                        WriteFreedBody(record, [(first, id - first)]);
                        Seal(record);
                        output.Write(record.Span(0, record.Length));
                        continue;
                    }

                    record.Clear();
                    Begin(record, 1);
                    WriteUInt32(record, first);
                    WriteUInt32(record, 0); // The count, set below.
                    while (id < stringCount && id - first < 65_536 && !_strings.IsFreed(id))
                    {
                        byte[] utf8 = Encoding.UTF8.GetBytes(_strings[id]);
                        WriteUInt32(record, utf8.Length);
                        record.Write(utf8);
                        id++;
                    }

                    BinaryPrimitives.WriteInt32LittleEndian(record.Span(13, 4), id - first);
                    Seal(record);
                    output.Write(record.Span(0, record.Length));
                }

                foreach (var (name, count) in _journaledKeys)
                {
                    var table = _keys.TableNamed(name);
                    for (int first = 1; first <= count; first += 65_536)
                    {
                        int n = Math.Min(65_536, count - first + 1);
                        record.Clear();
                        Begin(record, 2);
                        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
                        WriteUInt32(record, nameBytes.Length);
                        record.Write(nameBytes);
                        WriteUInt32(record, first);
                        WriteUInt32(record, n);
                        for (int key = first; key < first + n; key++)
                        {
                            var p = table[key];
                            WriteUInt32(record, p.A);
                            WriteUInt32(record, p.B);
                            WriteUInt32(record, p.C);
                            WriteUInt32(record, p.D);
                        }

                        Seal(record);
                        output.Write(record.Span(0, record.Length));
                    }
                }

                output.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            DurableFiles.SyncDirectory(System.IO.Path.GetDirectoryName(path)!);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The old journal is untouched (the rename is the switch): drop the half-written one and go on with it.
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
                // Removed at the next start.
            }

            throw error is IOException io ? StorageException.From(io, "compact the id journal", path)
                : StorageException.From((UnauthorizedAccessException)error, "compact the id journal", path);
        }

        var old = _file;
        _file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1);
        _file.Position = _file.Length;
        _goodLength = _file.Length;
        old.Dispose();
        _deadBytes = 0;
        Compactions++;
    }

    private void WriteFreed(RecordBuffer record, List<(int First, int Count)> ranges)
    {
        // Ranges in records of at most 8,192, so none grows past 64 KiB.
        for (int start = 0; start < ranges.Count; start += 8_192)
        {
            record.Clear();
            WriteFreedBody(record, ranges.GetRange(start, Math.Min(8_192, ranges.Count - start)));
            Append(record);
        }
    }

    private static void WriteFreedBody(RecordBuffer record, List<(int First, int Count)> ranges)
    {
        Begin(record, 3);
        WriteUInt32(record, ranges.Count);
        foreach (var (first, count) in ranges)
        {
            WriteUInt32(record, first);
            WriteUInt32(record, count);
        }
    }

    /// <summary>Fills in a record's length and checksum (as <see cref="Append"/> does) without writing it.</summary>
    private static void Seal(RecordBuffer record)
    {
        var span = record.Span(0, record.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, record.Length - 8);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span[8..]));
    }
}
