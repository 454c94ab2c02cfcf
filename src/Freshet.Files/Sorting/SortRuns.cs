using System.Buffers.Binary;
using System.Globalization;
using Freshet.Files.Mapping;

namespace Freshet.Files.Sorting;

/// <summary>
/// The part of <c>--sort</c> for files with more events than memory holds: each time the <see cref="SortBuffer"/> is
/// full it is sorted and written to a temporary file (a run), and at the end the runs are merged by (time, line), so
/// memory stays at one buffer plus a read buffer per run, whatever the file's size. The order is the in-memory sort's:
/// by time, ties in file order. The files are deleted on dispose.
/// </summary>
public sealed class SortRuns : IDisposable
{
    /// <summary>More runs than this means a file hundreds of times the buffer; the merge would thrash, so it is refused.</summary>
    public const int MaxRuns = 1024;

    private const int HeaderBytes = 32;
    private const int FieldBytes = 21;
    private const int ReadBufferBytes = 256 * 1024;

    private readonly List<string> _paths = [];
    private string? _directory;

    public int Count => _paths.Count;

    /// <summary>Events written to runs so far.</summary>
    public long Events { get; private set; }

    /// <summary>Writes the (sorted) contents of <paramref name="buffer"/> as a new run.</summary>
    public void Write(SortBuffer buffer)
    {
        if (_paths.Count == MaxRuns)
        {
            throw new SortFailedException($"--sort: this file has more than {MaxRuns} × {buffer.MaxEvents.ToString("N0", CultureInfo.InvariantCulture)} events (--sort-limit "
                + "events are sorted in memory at a time); raise --sort-limit, or sort the file by time first and replay it without --sort.");
        }

        _directory ??= Directory.CreateTempSubdirectory("freshet-sort-").FullName;
        string path = Path.Combine(_directory, $"run-{_paths.Count:D4}.bin");
        _paths.Add(path);
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, ReadBufferBytes);
            Span<byte> header = stackalloc byte[HeaderBytes];
            Span<byte> field = stackalloc byte[FieldBytes];
            for (int i = 0; i < buffer.Count; i++)
            {
                var e = buffer.Get(i);
                BinaryPrimitives.WriteInt64LittleEndian(header, e.TimeMs);
                BinaryPrimitives.WriteInt64LittleEndian(header[8..], e.Line);
                BinaryPrimitives.WriteInt32LittleEndian(header[16..], e.Type.Length);
                BinaryPrimitives.WriteInt32LittleEndian(header[20..], e.Id.Length);
                BinaryPrimitives.WriteInt32LittleEndian(header[24..], e.Values.Length);
                BinaryPrimitives.WriteInt32LittleEndian(header[28..], e.Fields.Length);
                stream.Write(header);
                stream.Write(e.Type);
                stream.Write(e.Id);
                stream.Write(e.Values);
                foreach (ref readonly var f in e.Fields)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(field, f.NameId);
                    field[4] = (byte)f.Kind;
                    BinaryPrimitives.WriteInt32LittleEndian(field[5..], f.ValueStart);
                    BinaryPrimitives.WriteInt32LittleEndian(field[9..], f.ValueLength);
                    BinaryPrimitives.WriteDoubleLittleEndian(field[13..], f.Number);
                    stream.Write(field);
                }
            }
        }
        catch (IOException e)
        {
            throw new SortFailedException($"--sort: cannot write sorted events to {_directory} ({e.Message}); the file is too large to sort with "
                + "the space there: free some, point TMPDIR elsewhere, or sort the file by time first and replay it without --sort.");
        }

        Events += buffer.Count;
    }

    /// <summary>Opens every run for the merge; <see cref="Merger.TryNext"/> then gives the events in order.</summary>
    public Merger Merge() => new(_paths);

    public void Dispose()
    {
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>A k-way merge of the runs by (time, line); each run is read sequentially through its own buffer.</summary>
    public sealed class Merger : IDisposable
    {
        private readonly RunReader[] _readers;
        private readonly PriorityQueue<int, (long TimeMs, long Line)> _queue = new();
        private int _current = -1;

        public Merger(List<string> paths)
        {
            _readers = [.. paths.Select(p => new RunReader(p))];
            for (int i = 0; i < _readers.Length; i++)
            {
                if (_readers[i].TryRead())
                {
                    _queue.Enqueue(i, (_readers[i].TimeMs, _readers[i].Line));
                }
            }
        }

        /// <summary>Moves to the next event in order; false when every run is done. The event stays valid until the next call.</summary>
        public bool TryNext()
        {
            if (_current >= 0 && _readers[_current].TryRead())
            {
                _queue.Enqueue(_current, (_readers[_current].TimeMs, _readers[_current].Line));
            }

            return _queue.TryDequeue(out _current, out _);
        }

        public long CurrentTimeMs => _readers[_current].TimeMs;

        public MappedEvent Current => _readers[_current].Event;

        public void Dispose()
        {
            foreach (var reader in _readers)
            {
                reader.Dispose();
            }
        }
    }

    /// <summary>Reads one run's events in order into reusable buffers.</summary>
    private sealed class RunReader(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, ReadBufferBytes, FileOptions.SequentialScan);
        private byte[] _bytes = new byte[256];
        private MappedField[] _fields = new MappedField[16];
        private int _typeLength;
        private int _idLength;
        private int _valueLength;
        private int _fieldCount;

        public long TimeMs { get; private set; }

        public long Line { get; private set; }

        public MappedEvent Event => new(Line, TimeMs, _bytes.AsSpan(0, _typeLength), _bytes.AsSpan(_typeLength, _idLength),
            _fields.AsSpan(0, _fieldCount), _bytes.AsSpan(_typeLength + _idLength, _valueLength));

        public bool TryRead()
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            int read = _stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
            if (read == 0)
            {
                return false;
            }

            if (read < HeaderBytes)
            {
                throw new InvalidDataException($"--sort: the temporary run {path} ends inside an event");
            }

            TimeMs = BinaryPrimitives.ReadInt64LittleEndian(header);
            Line = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
            _typeLength = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
            _idLength = BinaryPrimitives.ReadInt32LittleEndian(header[20..]);
            _valueLength = BinaryPrimitives.ReadInt32LittleEndian(header[24..]);
            _fieldCount = BinaryPrimitives.ReadInt32LittleEndian(header[28..]);
            int bytes = _typeLength + _idLength + _valueLength;
            if (_bytes.Length < bytes)
            {
                _bytes = new byte[Math.Max(bytes, _bytes.Length * 2)];
            }

            if (_fields.Length < _fieldCount)
            {
                _fields = new MappedField[Math.Max(_fieldCount, _fields.Length * 2)];
            }

            _stream.ReadExactly(_bytes, 0, bytes);
            Span<byte> field = stackalloc byte[FieldBytes];
            for (int i = 0; i < _fieldCount; i++)
            {
                _stream.ReadExactly(field);
                _fields[i] = new MappedField(BinaryPrimitives.ReadInt32LittleEndian(field), (FieldKind)field[4],
                    BinaryPrimitives.ReadInt32LittleEndian(field[5..]), BinaryPrimitives.ReadInt32LittleEndian(field[9..]),
                    BinaryPrimitives.ReadDoubleLittleEndian(field[13..]));
            }

            return true;
        }

        public void Dispose() => _stream.Dispose();
    }
}
