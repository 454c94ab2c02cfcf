using System.Buffers.Binary;
using System.Text;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Storage;

/// <summary>
/// Makes this process's dense ids (interned strings, composite entity keys) permanent, so checkpoints can hold
/// tile tables and sketches exactly as they are in memory. The journal is append-only: each <see cref="Sync"/>
/// appends the ids handed out since the last one as one checksummed record, and loading replays them in order
/// into a fresh string table and key space, which then hand out the very same ids.
/// <code>
/// header: "FRSHTIDS", u32 version, u32 0
/// record: u32 length, u32 CRC-32C of the rest, u8 kind, body
///   kind 1 (strings):   u32 first id, u32 count, then per string: u32 UTF-8 length, bytes
///   kind 2 (composite): u32 table name length, name, u32 first id, u32 count, then count × 4 × u32 parts
///   kind 3 (freed):     u32 range count, then per range: u32 first id, u32 count. An id below the strings loaded so far
///                       is freed (it must be live); the next id is handed out already freed (a compacted journal's hole)
/// </code>
/// Freed ids are never handed out again (see docs/STRING-RECLAMATION.md). When the strings of freed ids make up over
/// half the file, it is rewritten beside as one snapshot (live strings, holes, composite keys) and renamed over it.
/// A record cut short at the end (a crash during a sync) is cut off on load: the checkpoint it was for was never
/// committed, and the manifest of every committed checkpoint says how many ids it needs.
/// </summary>
internal sealed partial class IdJournal : IDisposable
{
    public const string FileName = "ids.journal";
    private const int Version = 1;
    private const int HeaderSize = 16;
    private static ReadOnlySpan<byte> Magic => "FRSHTIDS"u8;

    private FileStream _file;
    private readonly StringInterner _strings;
    private readonly EntityKeySpace _keys;
    private readonly Dictionary<string, int> _journaledKeys = new(StringComparer.Ordinal);
    private int _journaledStrings;
    private bool _broken;
    private long _goodLength; // End of the last record written whole (what a failed write is cut back to).

    private IdJournal(FileStream file, StringInterner strings, EntityKeySpace keys)
    {
        _file = file;
        _strings = strings;
        _keys = keys;
    }

    public string Path => _file.Name;

    /// <summary>Strings journaled (the interner's count, id 0 included, as of the last sync or load).</summary>
    public int StringCount => _journaledStrings;

    /// <summary>
    /// Opens the journal in <paramref name="directory"/> and loads it into <paramref name="strings"/> and
    /// <paramref name="keys"/>, which must be fresh. Returns what was cut from a torn end, if anything.
    /// </summary>
    public static IdJournal Open(string directory, StringInterner strings, EntityKeySpace keys, out string? tornTail) =>
        Open(directory, strings, keys, needed: null, out tornTail);

    /// <summary>
    /// As <see cref="Open(string, StringInterner, EntityKeySpace, out string?)"/>, knowing the ids a committed checkpoint
    /// needs (<paramref name="needed"/>): the journal was synced through them before that checkpoint was committed, so
    /// a journal that ends short of them is damaged, not cut by a crash, and is refused (and left as it is) rather than
    /// cut, which would drop every checkpoint and replay the log from the start.
    /// </summary>
    public static IdJournal Open(string directory, StringInterner strings, EntityKeySpace keys, IdsNeeded? needed, out string? tornTail)
    {
        if (strings.Count != 1)
        {
            throw new InvalidOperationException("the id journal loads into a fresh string table");
        }

        string path = System.IO.Path.Combine(directory, FileName);
        // A compaction cut short by a crash leaves its new file beside the old one, which is still whole.
        File.Delete(path + CompactSuffix);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1);
        try
        {
            var journal = new IdJournal(file, strings, keys);
            tornTail = journal.Load(needed);
            journal._journaledStrings = strings.Count;
            return journal;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Composite ids journaled per table (by table name), as of the last sync or load.</summary>
    public IReadOnlyDictionary<string, int> KeyCounts => _journaledKeys;

    /// <summary>
    /// Appends every id handed out since the last sync and flushes the journal to disk. A failed write (a full disk) is
    /// cut back off the file, so the journal always ends on a whole record and the next sync goes on from there.
    /// </summary>
    public void Sync() => Write(SyncRecords);

    /// <summary>Runs a write of whole records; a failed one is cut back off the file (see <see cref="Sync"/>).</summary>
    private void Write(Action write)
    {
        _goodLength = _file.Position;
        try
        {
            write();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            try
            {
                _file.SetLength(_goodLength);
                _file.Position = _goodLength;
            }
            catch (IOException)
            {
                // The next start cuts a torn end anyway; what matters is that no half record is followed by whole ones.
                _broken = true;
            }

            throw error switch
            {
                StorageException storage => storage,
                IOException io => StorageException.From(io, "write the id journal", _file.Name),
                _ => StorageException.From((UnauthorizedAccessException)error, "write the id journal", _file.Name),
            };
        }
    }

    private void SyncRecords()
    {
        if (_broken)
        {
            throw new StorageException(StorageProblem.Io, $"the id journal {_file.Name} could not be repaired after a failed write; restart the server");
        }

        using var record = new RecordBuffer(1 << 16);
        int stringCount = _strings.Count;
        if (stringCount > _journaledStrings)
        {
            // Strings in chunks, so no one record grows past a few megabytes.
            for (int first = _journaledStrings; first < stringCount; first += 65_536)
            {
                int count = Math.Min(65_536, stringCount - first);
                record.Clear();
                Begin(record, 1);
                WriteUInt32(record, first);
                WriteUInt32(record, count);
                for (int id = first; id < first + count; id++)
                {
                    // Ids are freed only after a checkpoint journaled them, so every id here is live.
                    byte[] utf8 = Encoding.UTF8.GetBytes(_strings[id]);
                    WriteUInt32(record, utf8.Length);
                    record.Write(utf8);
                }

                Append(record);
                _journaledStrings = first + count; // Record by record: a failure later leaves this one counted.
            }
        }

        foreach (var (name, table) in _keys.Tables)
        {
            int have = _journaledKeys.GetValueOrDefault(name);
            int count = table.Count; // ids 1..count
            if (count <= have)
            {
                continue;
            }

            record.Clear();
            Begin(record, 2);
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            WriteUInt32(record, nameBytes.Length);
            record.Write(nameBytes);
            WriteUInt32(record, have + 1);
            WriteUInt32(record, count - have);
            for (int id = have + 1; id <= count; id++)
            {
                var p = table[id];
                WriteUInt32(record, p.A);
                WriteUInt32(record, p.B);
                WriteUInt32(record, p.C);
                WriteUInt32(record, p.D);
            }

            Append(record);
            _journaledKeys[name] = count;
        }

        _file.Flush(flushToDisk: true);
    }

    public void Dispose() => _file.Dispose();

    private static void Begin(RecordBuffer record, byte kind)
    {
        record.Advance(8);
        record.WriteByte(kind);
    }

    private void Append(RecordBuffer record)
    {
        var span = record.Span(0, record.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, record.Length - 8);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Crc32C.Compute(span[8..]));
        _file.Write(span);
        _goodLength = _file.Position;
    }

    private static void WriteUInt32(RecordBuffer record, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        record.Write(bytes);
    }

    private string? Load(IdsNeeded? needed)
    {
        long length = _file.Length;
        if (length < HeaderSize)
        {
            // New (or created and cut before its header was synced, in which case nothing was journaled yet).
            _file.SetLength(0);
            Span<byte> header = stackalloc byte[HeaderSize];
            header.Clear();
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
            _file.Write(header);
            _file.Flush(flushToDisk: true);
            DurableFiles.SyncDirectory(System.IO.Path.GetDirectoryName(_file.Name)!);
            return null;
        }

        byte[] data = new byte[length];
        _file.Position = 0;
        _file.ReadExactly(data);
        if (!HasHeader(data))
        {
            throw Corrupt("it does not start with a version-1 'FRSHTIDS' header");
        }

        // Room for every journaled string at once: growing the tables record by record costs more than loading them.
        _strings.EnsureCapacity(CountStrings(data) + 1);
        var (end, damaged) = Walk(data, (body, at) =>
        {
            Apply(body, at);
            return true;
        });
        if (damaged)
        {
            throw Corrupt($"the record at byte {end:N0} is damaged and more data follows it");
        }

        if (needed is { } ids && (_strings.Count < ids.Strings || ids.Keys.Any(k => _journaledKeys.GetValueOrDefault(k.Key) < k.Value)))
        {
            throw Corrupt(end < data.Length
                ? $"the record at byte {end:N0} is cut short or fails its checksum, and the checkpoint at offset {ids.Offset:N0} needs ids from it "
                    + $"({ids.Strings:N0} strings; the records before it hold {_strings.Count:N0}). It was synced before that checkpoint was committed, "
                    + "so this is damage, not a sync cut short; the journal is left as it is"
                : $"it ends at byte {end:N0} with {_strings.Count:N0} strings, but the checkpoint at offset {ids.Offset:N0} needs {ids.Strings:N0}: the file was cut");
        }

        if (end < data.Length)
        {
            _file.SetLength(end);
            _file.Flush(flushToDisk: true);
            _file.Position = end;
            return $"cut {data.Length - end:N0} bytes off the end of {FileName} (a sync cut short)";
        }

        _file.Position = data.Length;
        return null;
    }

    private void Apply(ReadOnlySpan<byte> body, int at)
    {
        int p = 1;
        switch (body[0])
        {
            case 1:
            {
                int first = ReadInt(body, ref p);
                int count = ReadInt(body, ref p);
                if (first != _strings.Count)
                {
                    throw Corrupt($"the strings record at byte {at:N0} starts at id {first}, {_strings.Count} was expected");
                }

                _strings.EnsureCapacity(first + count);
                // Decoding and hashing go in parallel (most of a large load's time); ids are then given in order.
                var starts = new int[count + 1];
                for (int i = 0; i < count; i++)
                {
                    starts[i] = p + 4;
                    p += 4 + BinaryPrimitives.ReadInt32LittleEndian(body[p..]);
                }

                starts[count] = p + 4;
                var texts = new string[count];
                var hashes = new ulong[count];
                byte[] data = body.ToArray();
                Parallel.For(0, (count + 4095) / 4096, chunk =>
                {
                    for (int i = chunk * 4096; i < Math.Min(count, (chunk + 1) * 4096); i++)
                    {
                        var utf8 = data.AsSpan(starts[i], starts[i + 1] - 4 - starts[i]);
                        texts[i] = Encoding.UTF8.GetString(utf8);
                        hashes[i] = Freshet.Hashing.XxHash64.Hash(utf8);
                    }
                });
                for (int i = 0; i < count; i++)
                {
                    if (_strings.GetOrAddHashed(texts[i], hashes[i]) != first + i)
                    {
                        throw Corrupt($"the strings record at byte {at:N0} repeats a string");
                    }
                }

                break;
            }

            case 2:
            {
                int nameLength = ReadInt(body, ref p);
                string name = Encoding.UTF8.GetString(body.Slice(p, nameLength));
                p += nameLength;
                int first = ReadInt(body, ref p);
                int count = ReadInt(body, ref p);
                var table = _keys.TableNamed(name);
                if (first != table.Count + 1)
                {
                    throw Corrupt($"the composite-key record at byte {at:N0} starts at id {first}, {table.Count + 1} was expected");
                }

                for (int i = 0; i < count; i++)
                {
                    var parts = new KeyParts(ReadInt(body, ref p), ReadInt(body, ref p), ReadInt(body, ref p), ReadInt(body, ref p));
                    if (table.GetOrAdd(parts) != first + i)
                    {
                        throw Corrupt($"the composite-key record at byte {at:N0} repeats a key");
                    }
                }

                _journaledKeys[name] = table.Count;
                break;
            }

            case 3:
                int ranges = ReadInt(body, ref p);
                for (int r = 0; r < ranges; r++)
                {
                    int first = ReadInt(body, ref p);
                    int count = ReadInt(body, ref p);
                    for (int id = first; id < first + count; id++)
                    {
                        if (id == _strings.Count)
                        {
                            _strings.AddFreed();
                        }
                        else if (id > _strings.Count || id < 1 || _strings.IsFreed(id))
                        {
                            throw Corrupt($"the freed-ids record at byte {at:N0} frees id {id:N0}, which is {(id > _strings.Count ? "past the ids handed out" : "not live")}");
                        }
                        else
                        {
                            _deadBytes += 4 + Encoding.UTF8.GetByteCount(_strings[id]);
                            _strings.FreeLoaded(id);
                        }
                    }
                }

                break;

            default:
                throw Corrupt($"the record at byte {at:N0} has unknown kind {body[0]}");
        }
    }

    /// <summary>Strings in the intact records of a journal (a first pass, so the string table is sized once).</summary>
    private static int CountStrings(byte[] data)
    {
        long total = 0;
        Walk(data, (body, _) =>
        {
            if (body[0] == 1)
            {
                total += BinaryPrimitives.ReadInt32LittleEndian(body[5..]);
            }

            return true;
        });
        return (int)Math.Min(total, int.MaxValue - 1);
    }

    /// <summary>True when <paramref name="data"/> starts with the journal's header (magic and version).</summary>
    internal static bool HasHeader(byte[] data) =>
        data.Length >= HeaderSize && data.AsSpan(0, 8).SequenceEqual(Magic) && BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(8)) == Version;

    /// <summary>Receives one whole record's body (kind first) and its position; returns false to stop the walk there.</summary>
    internal delegate bool RecordVisitor(ReadOnlySpan<byte> body, int position);

    /// <summary>
    /// Visits the journal's whole, checksummed records in order, after the header. Returns where the walk stopped (the
    /// end of the data, a record the visitor refused, or the first record that is cut or fails its CRC) and whether
    /// that bad record is followed by valid ones — damage, where a record merely cut short is a torn end. Shared by
    /// loading and by <c>freshet check</c>, which must judge a journal the same way.
    /// </summary>
    internal static (int End, bool Damaged) Walk(byte[] data, RecordVisitor visit)
    {
        int position = HeaderSize;
        while (position < data.Length)
        {
            int length = data.Length - position >= 8 ? BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(position)) : -1;
            if (length <= 0 || position + 8L + length > data.Length)
            {
                return (position, ValidRecordAfter(data, position + 1));
            }

            if (Crc32C.Compute(data.AsSpan(position + 8, length)) != BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position + 4)))
            {
                // A whole record that fails its CRC with more data after it: a sync cut short ends inside its last
                // record, so this is damage (a flipped bit), not a torn end.
                return (position, position + 8L + length < data.Length || ValidRecordAfter(data, position + 1));
            }

            if (!visit(data.AsSpan(position + 8, length), position))
            {
                return (position, false);
            }

            position += 8 + length;
        }

        return (position, false);
    }

    private static int ReadInt(ReadOnlySpan<byte> body, ref int p)
    {
        int value = BinaryPrimitives.ReadInt32LittleEndian(body[p..]);
        p += 4;
        return value;
    }

    /// <summary>True when a whole, valid record starts anywhere at or after <paramref name="from"/> (damage, not a torn end).</summary>
    private static bool ValidRecordAfter(byte[] data, int from)
    {
        for (int i = from; i + 9 <= data.Length; i++)
        {
            int n = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i));
            if (n > 0 && i + 8L + n <= data.Length && data[i + 8] is 1 or 2 or 3
                && Crc32C.Compute(data.AsSpan(i + 8, n)) == BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(i + 4)))
            {
                return true;
            }
        }

        return false;
    }

    private StorageException Corrupt(string what) => new(StorageProblem.Corrupt,
        $"the id journal {_file.Name} is damaged: {what}. Checkpoints cannot be read without it; restore the data directory from a backup.");
}

/// <summary>The ids a committed checkpoint needs from the journal (its manifest's counts), and that checkpoint's offset.</summary>
internal sealed record IdsNeeded(int Strings, IReadOnlyDictionary<string, int> Keys, long Offset);
